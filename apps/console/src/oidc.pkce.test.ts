import {
  authorizationUrl,
  codeChallenge,
  readCallback,
  readDiscovery,
  randomToken,
  savePending,
  takePending,
  type PendingSignIn,
} from './oidc';

const pending: PendingSignIn = {
  state: 'st4te',
  verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
  issuer: 'https://idp.bank.example/realms/ops',
  clientId: 'strongroom-console',
  tokenEndpoint: 'https://idp.bank.example/realms/ops/token',
  redirectUri: 'https://strongroom.bank.example/auth/callback',
};

function memoryStore() {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
  };
}

describe('the console sign-in through an identity provider (code + PKCE)', () => {
  it('derives the S256 challenge of RFC 7636 appendix B, and makes verifiers of 43 random characters', async () => {
    expect(await codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
    const a = randomToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomToken()).not.toBe(a);
  });

  it('asks for a code with the challenge, never sending the verifier', () => {
    const url = new URL(
      authorizationUrl('https://idp.bank.example/realms/ops/auth?kc_idp_hint=corp', {
        clientId: 'strongroom-console',
        redirectUri: pending.redirectUri,
        scope: 'openid',
        state: 'st4te',
        challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      }),
    );
    expect(Object.fromEntries(url.searchParams)).toEqual({
      kc_idp_hint: 'corp', // the provider's own parameters stay
      response_type: 'code',
      client_id: 'strongroom-console',
      redirect_uri: 'https://strongroom.bank.example/auth/callback',
      scope: 'openid',
      state: 'st4te',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    });
    expect(url.toString()).not.toContain(pending.verifier);
  });

  it("takes endpoints only from the configured issuer's discovery document, and needs S256", () => {
    const doc = {
      issuer: 'https://idp.bank.example/realms/ops',
      authorization_endpoint: 'https://idp.bank.example/realms/ops/auth',
      token_endpoint: 'https://idp.bank.example/realms/ops/token',
      code_challenge_methods_supported: ['plain', 'S256'],
    };
    expect(readDiscovery('https://idp.bank.example/realms/ops/', doc)).toEqual({
      authorizationEndpoint: doc.authorization_endpoint,
      tokenEndpoint: doc.token_endpoint,
    });
    expect(() => readDiscovery(doc.issuer, { ...doc, issuer: 'https://evil.example' })).toThrow(/another issuer/);
    expect(() => readDiscovery(doc.issuer, { ...doc, token_endpoint: undefined })).toThrow(/no authorization or token/);
    expect(() => readDiscovery(doc.issuer, { ...doc, code_challenge_methods_supported: ['plain'] })).toThrow(/S256/);
    expect(() => readDiscovery(doc.issuer, null)).toThrow(/another issuer/);
    expect(() => readDiscovery(doc.issuer, { ...doc, token_endpoint: 'https://tokens.bank.example/token' })).toThrow(
      /not on its issuer's origin/,
    );
  });

  it('redeems a code only for the sign-in this tab started, from the provider it asked, once', () => {
    expect(readCallback('?code=c0de&state=st4te', pending)).toEqual({ code: 'c0de' });
    expect(readCallback(`?code=c0de&state=st4te&iss=${encodeURIComponent(pending.issuer)}`, pending)).toEqual({
      code: 'c0de',
    });
    expect(readCallback('?code=c0de&state=other', pending)).toEqual({
      problem: expect.stringMatching(/state mismatch/),
    });
    expect(readCallback('?code=c0de&state=st4te&iss=https%3A%2F%2Fevil.example', pending)).toEqual({
      problem: expect.stringMatching(/another identity provider/),
    });
    expect(readCallback('?error=access_denied&error_description=User+cancelled&state=st4te', pending)).toEqual({
      problem: 'The identity provider refused the sign-in: access_denied (User cancelled).',
    });
    expect(readCallback('?state=st4te', pending)).toEqual({ problem: expect.stringMatching(/no code/) });
    expect(readCallback('?code=c0de&state=st4te', undefined)).toEqual({
      problem: expect.stringMatching(/No sign-in was started/),
    });
    const store = memoryStore();
    savePending(store, pending);
    expect(takePending(store)).toEqual(pending);
    expect(takePending(store)).toBeUndefined(); // taken: a replayed callback finds nothing
    store.setItem('strongroom.oidc', '{"state":1}');
    expect(takePending(store)).toBeUndefined();
    store.setItem('strongroom.oidc', 'not json');
    expect(takePending(store)).toBeUndefined();
  });
});
