import { type FormEvent, useEffect, useState } from 'react';
import { beginSignIn, type ConsoleSettings } from '../oidc';
import { cleanToken, expired, readClaims } from '../session';

/**
 * Sign-in: through the bank's identity provider when the gateway names one (OpenID Connect, code + PKCE),
 * and by pasting a bearer token (in development the tokens `serve` and `npm start` print; service tokens).
 */
export function SignIn({
  onSignIn,
  problem: given,
}: {
  onSignIn: (token: string) => void;
  problem?: string | undefined;
}) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | undefined>(given);
  const [settings, setSettings] = useState<ConsoleSettings | undefined>();
  useEffect(() => {
    let live = true;
    fetch('/console-config.json')
      .then((r) => (r.ok ? (r.json() as Promise<ConsoleSettings>) : { oidc: null }))
      .then((s) => live && setSettings(s))
      .catch(() => live && setSettings({ oidc: null }));
    return () => {
      live = false;
    };
  }, []);
  const oidc = settings?.oidc;
  const withProvider = () => {
    if (!oidc) return;
    setProblem(undefined);
    beginSignIn(oidc, window.location.origin, window.sessionStorage, (url) => window.location.assign(url)).catch(
      (err: Error) => setProblem(err.message),
    );
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const token = cleanToken(text);
    if (!token) return setProblem('That is not a bearer token (a JWT: three parts separated by dots).');
    const claims = readClaims(token);
    if (claims && expired(claims, Date.now())) return setProblem('This token has expired: ask for a new one.');
    onSignIn(token);
  };
  return (
    <main className="signin">
      <h1>Strongroom console</h1>
      {oidc ? (
        <section className="idp" aria-label="Sign in with your identity provider">
          <button type="button" className="primary" onClick={withProvider}>
            Sign in with your identity provider
          </button>
          <p className="help">
            You sign in at <code>{new URL(oidc.issuer).host}</code> and come back here; your roles come from it.
          </p>
        </section>
      ) : null}
      <form onSubmit={submit} aria-describedby="signin-help">
        <label htmlFor="token">Bearer token</label>
        <textarea
          id="token"
          name="token"
          rows={4}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setProblem(undefined);
          }}
          autoFocus
          spellCheck={false}
          autoComplete="off"
        />
        <p id="signin-help" className="help">
          {oidc ? 'Or paste a token (a service token, say). ' : 'Paste a token: in development, one of the dev tokens '}
          {oidc ? null : (
            <>
              <code>npm start</code> or <code>strongroom serve</code> printed.{' '}
            </>
          )}
          It stays in this browser tab only (session storage) and is sent to this gateway alone.
        </p>
        {problem ? (
          <p role="alert" className="error">
            {problem}
          </p>
        ) : null}
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
