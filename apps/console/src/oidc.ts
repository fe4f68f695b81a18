// Sign-in through the bank's identity provider: OpenID Connect authorization code flow with PKCE (RFC 7636,
// S256) from a public client — the console holds no client secret. The gateway says which provider
// (`/console-config.json`); the browser goes there, the person signs in, and comes back to /auth/callback
// with a one-time code that only this tab can redeem (it alone knows the code verifier). The access token
// is then kept like a pasted one: in this tab's session storage, sent to this gateway alone, which
// verifies it against the provider's keys and reads the roles from its `roles` claim.

/** The console's settings as the gateway serves them. */
export interface ConsoleSettings {
  oidc: { issuer: string; clientId: string; scope: string } | null;
}

/** What a sign-in in progress keeps in the tab until the provider sends the person back. */
export interface PendingSignIn {
  state: string;
  verifier: string;
  issuer: string;
  clientId: string;
  tokenEndpoint: string;
  redirectUri: string;
}

export const CALLBACK_PATH = '/auth/callback';
const PENDING_KEY = 'strongroom.oidc';

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A random string of 32 bytes, base64url (a PKCE verifier is 43 characters of it). */
export function randomToken(random: (a: Uint8Array) => Uint8Array = (a) => crypto.getRandomValues(a)): string {
  return base64url(random(new Uint8Array(32)));
}

/** The S256 code challenge of a verifier: base64url(SHA-256(verifier)). */
export async function codeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** The parts of the provider's discovery document the sign-in needs, checked (its issuer must be the one configured). */
export function readDiscovery(issuer: string, doc: unknown): { authorizationEndpoint: string; tokenEndpoint: string } {
  const d = (doc ?? {}) as Record<string, unknown>;
  const same = (a: unknown) => typeof a === 'string' && a.replace(/\/+$/, '') === issuer.replace(/\/+$/, '');
  if (!same(d['issuer']))
    throw new Error(`the identity provider's discovery document names another issuer (${String(d['issuer'])})`);
  const authorizationEndpoint = d['authorization_endpoint'];
  const tokenEndpoint = d['token_endpoint'];
  if (typeof authorizationEndpoint !== 'string' || typeof tokenEndpoint !== 'string')
    throw new Error("the identity provider's discovery document has no authorization or token endpoint");
  // the page may talk to the issuer's origin only (the gateway's Content-Security-Policy says so)
  if (new URL(tokenEndpoint).origin !== new URL(issuer).origin)
    throw new Error(
      `the identity provider's token endpoint (${new URL(tokenEndpoint).origin}) is not on its issuer's origin; the console can only reach the issuer's`,
    );
  const methods = d['code_challenge_methods_supported'];
  if (Array.isArray(methods) && !methods.includes('S256'))
    throw new Error('the identity provider does not support PKCE with S256');
  return { authorizationEndpoint, tokenEndpoint };
}

/** The URL that sends the person to the provider to sign in. */
export function authorizationUrl(
  authorizationEndpoint: string,
  p: { clientId: string; redirectUri: string; scope: string; state: string; challenge: string },
): string {
  const url = new URL(authorizationEndpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', p.clientId);
  url.searchParams.set('redirect_uri', p.redirectUri);
  url.searchParams.set('scope', p.scope);
  url.searchParams.set('state', p.state);
  url.searchParams.set('code_challenge', p.challenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

/**
 * What came back to /auth/callback: the code to redeem, or why not. The state must be the one this tab
 * sent (else the answer belongs to another sign-in, possibly forged), and an `iss` (RFC 9207) the issuer.
 */
export function readCallback(
  search: string,
  pending: PendingSignIn | undefined,
): { code: string } | { problem: string } {
  const q = new URLSearchParams(search);
  if (!pending) return { problem: 'No sign-in was started in this tab (or it was already finished). Sign in again.' };
  if (q.get('state') !== pending.state)
    return { problem: 'The identity provider answered a different sign-in (state mismatch). Sign in again.' };
  const iss = q.get('iss');
  if (iss !== null && iss.replace(/\/+$/, '') !== pending.issuer.replace(/\/+$/, ''))
    return { problem: 'The answer came from another identity provider than the one asked. Sign in again.' };
  const error = q.get('error');
  if (error) {
    const description = q.get('error_description');
    return {
      problem: `The identity provider refused the sign-in: ${error}${description ? ` (${description.slice(0, 200)})` : ''}.`,
    };
  }
  const code = q.get('code');
  return code ? { code } : { problem: 'The identity provider sent no code back. Sign in again.' };
}

export function savePending(store: KeyValueStore, pending: PendingSignIn): void {
  store.setItem(PENDING_KEY, JSON.stringify(pending));
}

/** The sign-in in progress, taken out of the store (a code can be redeemed once). */
export function takePending(store: KeyValueStore): PendingSignIn | undefined {
  const raw = store.getItem(PENDING_KEY);
  store.removeItem(PENDING_KEY);
  if (!raw) return undefined;
  try {
    const p = JSON.parse(raw) as Partial<PendingSignIn>;
    return typeof p.state === 'string' &&
      typeof p.verifier === 'string' &&
      typeof p.issuer === 'string' &&
      typeof p.clientId === 'string' &&
      typeof p.tokenEndpoint === 'string' &&
      typeof p.redirectUri === 'string'
      ? (p as PendingSignIn)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a sign-in: asks the provider where to go, keeps the verifier in the tab, and goes there. */
export async function beginSignIn(
  oidc: NonNullable<ConsoleSettings['oidc']>,
  origin: string,
  store: KeyValueStore,
  go: (url: string) => void,
): Promise<void> {
  const discoveryUrl = `${oidc.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let doc: unknown;
  try {
    const res = await fetch(discoveryUrl);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    doc = await res.json();
  } catch (err) {
    throw new Error(`The identity provider could not be reached (${discoveryUrl}: ${(err as Error).message}).`);
  }
  const { authorizationEndpoint, tokenEndpoint } = readDiscovery(oidc.issuer, doc);
  const pending: PendingSignIn = {
    state: randomToken(),
    verifier: randomToken(),
    issuer: oidc.issuer,
    clientId: oidc.clientId,
    tokenEndpoint,
    redirectUri: new URL(CALLBACK_PATH, origin).toString(),
  };
  savePending(store, pending);
  go(
    authorizationUrl(authorizationEndpoint, {
      clientId: oidc.clientId,
      redirectUri: pending.redirectUri,
      scope: oidc.scope,
      state: pending.state,
      challenge: await codeChallenge(pending.verifier),
    }),
  );
}

/** Redeems the code with the verifier at the provider's token endpoint; resolves the access token. */
export async function finishSignIn(search: string, store: KeyValueStore): Promise<string> {
  const pending = takePending(store);
  const answer = readCallback(search, pending);
  if ('problem' in answer) throw new Error(answer.problem);
  const p = pending as PendingSignIn;
  const res = await fetch(p.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: answer.code,
      redirect_uri: p.redirectUri,
      client_id: p.clientId,
      code_verifier: p.verifier,
    }).toString(),
  }).catch((err: Error) => {
    throw new Error(`The identity provider could not be reached to finish the sign-in (${err.message}).`);
  });
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok || typeof body['access_token'] !== 'string') {
    const why = typeof body['error'] === 'string' ? body['error'] : `HTTP ${res.status}`;
    throw new Error(`The identity provider did not issue a token (${why}). Sign in again.`);
  }
  return body['access_token'];
}
