import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import { Provider, useQuery } from 'urql';
import { createGatewayClient } from './client';
import { graphql } from './graphql';
import { AlertsPage } from './pages/AlertsPage';
import { AuditPage } from './pages/AuditPage';
import { DeadLettersPage } from './pages/DeadLettersPage';
import { RunPage } from './pages/RunPage';
import { RunsPage } from './pages/RunsPage';
import { SignIn } from './pages/SignIn';

// GraphiQL is big: its own chunk, fetched only when the explorer is opened
const ExplorerPage = lazy(() => import('./pages/ExplorerPage'));
import { follow, useRoute } from './router';
import { forgetExplorer, forgetToken, loadToken, saveToken, tokenFromFragment } from './session';
import { CALLBACK_PATH, finishSignIn } from './oidc';

/** What the signed-in person may do, as the gateway's role matrix says (Query.me). */
export const MeQuery = graphql(`
  query Me {
    me {
      subject
      roles
      may
    }
  }
`);

export type Permissions = { may: (field: string) => boolean };

/**
 * The one redemption of this page load's sign-in callback: the code leaves the address bar and the history
 * at once, and is redeemed once even when React runs the effect twice (development's StrictMode).
 */
let redemption: Promise<string> | undefined;
function redeemOnce(): Promise<string> {
  if (!redemption) {
    const search = window.location.search;
    window.history.replaceState(null, '', '/');
    redemption = finishSignIn(search, window.sessionStorage);
  }
  return redemption;
}

export function App() {
  const [token, setToken] = useState<string | undefined>(() => {
    // a token handed over in the fragment (scripts, `serve`'s printed link) is taken, then wiped from the URL
    const handed = tokenFromFragment(window.location.hash);
    if (handed) {
      saveToken(window.sessionStorage, handed);
      window.history.replaceState(null, '', window.location.pathname + window.location.search);
    }
    return handed ?? loadToken(window.sessionStorage);
  });
  // back from the identity provider: redeem the code once, then show the console at /
  const [finishing, setFinishing] = useState(() => window.location.pathname === CALLBACK_PATH);
  const [signInProblem, setSignInProblem] = useState<string | undefined>();
  useEffect(() => {
    if (!finishing) return;
    let live = true;
    redeemOnce()
      .then((t) => {
        if (!live) return;
        saveToken(window.sessionStorage, t);
        setSignInProblem(undefined);
        setToken(t);
      })
      .catch((err: Error) => live && setSignInProblem(err.message))
      .finally(() => live && setFinishing(false));
    return () => {
      live = false;
    };
  }, [finishing]);
  const gateway = useMemo(
    () => (token ? createGatewayClient(token, new URL(window.location.href)) : undefined),
    [token],
  );
  useEffect(() => () => gateway?.close(), [gateway]);

  const signOut = () => {
    forgetToken(window.sessionStorage);
    forgetExplorer(window.sessionStorage);
    setToken(undefined);
  };
  if (finishing)
    return (
      <main className="signin" aria-busy="true">
        <p>Finishing the sign-in…</p>
      </main>
    );
  if (!token || !gateway)
    return (
      <SignIn
        problem={signInProblem}
        onSignIn={(t) => {
          saveToken(window.sessionStorage, t);
          setToken(t);
        }}
      />
    );
  return (
    <Provider value={gateway.client}>
      <Shell token={token} onSignOut={signOut} />
    </Provider>
  );
}

function Shell({ token, onSignOut }: { token: string; onSignOut: () => void }) {
  const [{ data, error }] = useQuery({ query: MeQuery });
  const route = useRoute();
  const permissions: Permissions = useMemo(() => ({ may: (f) => data?.me.may.includes(f) ?? false }), [data]);
  const refused =
    error?.response?.status === 401 || error?.graphQLErrors.some((e) => e.extensions?.['code'] === 'UNAUTHENTICATED');
  return (
    <div className="shell">
      <header className="topbar">
        <a className="brand" href="/" onClick={(e) => follow(e, '/')}>
          Strongroom
        </a>
        <nav aria-label="Sections">
          <a href="/" onClick={(e) => follow(e, '/')} aria-current={route.page === 'runs' ? 'page' : undefined}>
            Runs
          </a>
          {permissions.may('Query.deadLetters') ? (
            <a
              href="/dead-letters"
              onClick={(e) => follow(e, '/dead-letters')}
              aria-current={route.page === 'dead-letters' ? 'page' : undefined}
            >
              Dead letters
            </a>
          ) : null}
          {permissions.may('Query.alerts') ? (
            <a
              href="/alerts"
              onClick={(e) => follow(e, '/alerts')}
              aria-current={route.page === 'alerts' ? 'page' : undefined}
            >
              Alerts
            </a>
          ) : null}
          <a
            href="/audit"
            onClick={(e) => follow(e, '/audit')}
            aria-current={route.page === 'audit' ? 'page' : undefined}
          >
            {permissions.may('Query.auditEntries') ? 'Audit and health' : 'Health'}
          </a>
          <a
            href="/explorer"
            onClick={(e) => follow(e, '/explorer')}
            aria-current={route.page === 'explorer' ? 'page' : undefined}
          >
            GraphQL explorer
          </a>
        </nav>
        <div className="who" aria-label="Signed in as">
          {data ? (
            <>
              <span className="subject">{data.me.subject}</span>
              <span className="roles">{data.me.roles.join(', ')}</span>
            </>
          ) : null}
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        {refused ? (
          <div role="alert" className="error">
            The gateway refused this token (expired or not valid). Sign out and sign in with a new one.
          </div>
        ) : route.page === 'explorer' ? (
          <Suspense fallback={<p aria-busy="true">Loading the explorer…</p>}>
            <ExplorerPage token={token} />
          </Suspense>
        ) : route.page === 'run' ? (
          <RunPage id={route.id} permissions={permissions} />
        ) : route.page === 'alerts' ? (
          <AlertsPage permissions={permissions} />
        ) : route.page === 'audit' ? (
          <AuditPage permissions={permissions} />
        ) : route.page === 'dead-letters' ? (
          <DeadLettersPage {...(route.runId ? { runId: route.runId } : {})} permissions={permissions} />
        ) : (
          <RunsPage />
        )}
      </main>
    </div>
  );
}
