import { cleanToken, expired, forgetToken, loadToken, readClaims, saveToken, tokenFromFragment } from './session';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}.c2ln`;

describe('the console session', () => {
  it('reads subject, roles and expiry of a JWT for display, and refuses what is not one', () => {
    expect(readClaims(jwt({ sub: 'olga', roles: ['operator', 7], exp: 100 }))).toEqual({
      subject: 'olga',
      roles: ['operator'],
      expiresAt: 100,
    });
    expect(readClaims('not-a-token')).toBeUndefined();
    expect(readClaims('a.%%%.c')).toBeUndefined();
  });

  it('accepts a pasted token with "Bearer " and blanks, and a #token= fragment', () => {
    const t = jwt({ sub: 'ann', roles: ['admin'] });
    expect(cleanToken(`  Bearer ${t}\n`)).toBe(t);
    expect(cleanToken('hello')).toBeUndefined();
    expect(tokenFromFragment(`#token=${encodeURIComponent(t)}`)).toBe(t);
    expect(tokenFromFragment(`#x=1&token=${t}`)).toBe(t);
    expect(tokenFromFragment('#nothing')).toBeUndefined();
  });

  it('calls a token expired a minute after its exp (clock skew), by the clock it is given', () => {
    const claims = { subject: 's', roles: [], expiresAt: 1_000 };
    expect(expired(claims, 1_000_000 + 59_000)).toBe(false);
    expect(expired(claims, 1_000_000 + 61_000)).toBe(true);
    expect(expired({ ...claims, expiresAt: undefined }, Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('keeps the token in the store it is given, and forgets it on sign-out', () => {
    const m = new Map<string, string>();
    const store = {
      getItem: (k: string) => m.get(k) ?? null,
      setItem: (k: string, v: string) => void m.set(k, v),
      removeItem: (k: string) => void m.delete(k),
    };
    expect(loadToken(store)).toBeUndefined();
    saveToken(store, 'abc');
    expect(loadToken(store)).toBe('abc');
    forgetToken(store);
    expect(loadToken(store)).toBeUndefined();
  });
});
