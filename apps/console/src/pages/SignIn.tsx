import { type FormEvent, useState } from 'react';
import { cleanToken, expired, readClaims } from '../session';

/** Sign-in by bearer token: in development the tokens `serve` and `npm start` print, else your identity provider's. */
export function SignIn({ onSignIn }: { onSignIn: (token: string) => void }) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | undefined>();
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
          Paste a token: in development, one of the dev tokens <code>npm start</code> or <code>strongroom serve</code>{' '}
          printed. It stays in this browser tab only (session storage) and is sent to this gateway alone.
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
