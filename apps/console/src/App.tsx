import { useEffect, useMemo, useState } from 'react';
import { Provider, useQuery } from 'urql';
import { createGatewayClient } from './client';
import { graphql } from './graphql';
import { AlertsPage } from './pages/AlertsPage';
import { AuditPage } from './pages/AuditPage';
import { DeadLettersPage } from './pages/DeadLettersPage';
import { RunPage } from './pages/RunPage';
import { RunsPage } from './pages/RunsPage';
import { SignIn } from './pages/SignIn';
import { follow, useRoute } from './router';
import { forgetToken, loadToken, saveToken, tokenFromFragment } from './session';

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
  const gateway = useMemo(
    () => (token ? createGatewayClient(token, new URL(window.location.href)) : undefined),
    [token],
  );
  useEffect(() => () => gateway?.close(), [gateway]);

  const signOut = () => {
    forgetToken(window.sessionStorage);
    setToken(undefined);
  };
  if (!token || !gateway)
    return (
      <SignIn
        onSignIn={(t) => {
          saveToken(window.sessionStorage, t);
          setToken(t);
        }}
      />
    );
  return (
    <Provider value={gateway.client}>
      <Shell onSignOut={signOut} />
    </Provider>
  );
}

function Shell({ onSignOut }: { onSignOut: () => void }) {
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
