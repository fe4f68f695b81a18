// @clock-sensitive: token expiry and not-before; npm test runs this file again with the clock a year ahead.
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { loadJwks, verifyBearer } from './bearer';

const NOW = Date.UTC(2026, 10, 28, 12);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const claims = (extra: Record<string, unknown> = {}) => ({
  sub: 'alice',
  roles: ['auditor'],
  iat: NOW / 1000,
  exp: NOW / 1000 + 600,
  ...extra,
});

function signWith(
  alg: 'RS256' | 'ES256',
  key: KeyObject,
  payload: Record<string, unknown>,
  kid?: string,
  typ = 'JWT',
): string {
  const input = `${b64({ alg, typ, ...(kid ? { kid } : {}) })}.${b64(payload)}`;
  const sig =
    alg === 'RS256'
      ? sign('sha256', Buffer.from(input), key)
      : sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${sig.toString('base64url')}`;
}

describe('verifyBearer with RS256/ES256 against a JWKS (the attack tests of the hand-written verifier)', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwks = {
    keys: [
      { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', use: 'sig' },
      { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1' },
    ],
  };
  const keys = loadJwks(jwks);
  const verifyJwksJwt = (
    token: string,
    jwksKeys: typeof keys,
    o: { now: number; issuer?: string; audience?: string },
  ) =>
    verifyBearer(
      token,
      { jwks: jwksKeys, ...(o.issuer ? { issuer: o.issuer } : {}), ...(o.audience ? { audience: o.audience } : {}) },
      o.now,
    );

  it('accepts RS256 and ES256 tokens signed by a key of the set', async () => {
    expect(await verifyJwksJwt(signWith('RS256', rsa.privateKey, claims(), 'rsa-1'), keys, { now: NOW })).toMatchObject(
      {
        sub: 'alice',
        roles: ['auditor'],
      },
    );
    expect(await verifyJwksJwt(signWith('ES256', ec.privateKey, claims(), 'ec-1'), keys, { now: NOW })).toMatchObject({
      sub: 'alice',
    });
  });

  it("accepts an identity provider's access token (typ at+jwt, RFC 9068) and refuses other token types", async () => {
    for (const typ of ['at+jwt', 'application/at+JWT'])
      expect(
        (await verifyJwksJwt(signWith('RS256', rsa.privateKey, claims(), 'rsa-1', typ), keys, { now: NOW })).sub,
      ).toBe('alice');
    for (const typ of ['dpop+jwt', 'logout+jwt', 'JOSE+JSON'])
      await expect(
        verifyJwksJwt(signWith('RS256', rsa.privateKey, claims(), 'rsa-1', typ), keys, { now: NOW }),
      ).rejects.toThrow(/malformed/);
  });

  it('refuses a foreign key, a wrong kid, an expired token, and a bad issuer or audience', async () => {
    await expect(
      verifyJwksJwt(signWith('RS256', other.privateKey, claims(), 'rsa-1'), keys, { now: NOW }),
    ).rejects.toThrow(/bad_signature/);
    await expect(
      verifyJwksJwt(signWith('RS256', rsa.privateKey, claims(), 'nope'), keys, { now: NOW }),
    ).rejects.toThrow(/bad_signature/);
    await expect(
      verifyJwksJwt(signWith('RS256', rsa.privateKey, claims({ exp: NOW / 1000 - 3600 }), 'rsa-1'), keys, { now: NOW }),
    ).rejects.toThrow(/expired/);
    const t = signWith('RS256', rsa.privateKey, claims({ iss: 'https://idp.bank', aud: 'strongroom' }), 'rsa-1');
    expect((await verifyJwksJwt(t, keys, { now: NOW, issuer: 'https://idp.bank', audience: 'strongroom' })).sub).toBe(
      'alice',
    );
    await expect(verifyJwksJwt(t, keys, { now: NOW, issuer: 'https://evil' })).rejects.toThrow(/invalid_claims/);
  });

  it('refuses algorithm confusion: HS256 "signed" with the public key, none, and ES256 with an RSA kid', async () => {
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const input = `${b64({ alg: 'HS256', kid: 'rsa-1' })}.${b64(claims())}`;
    const forged = `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    await expect(verifyJwksJwt(forged, keys, { now: NOW })).rejects.toThrow(/unsupported_algorithm/);
    await expect(verifyJwksJwt(`${b64({ alg: 'none' })}.${b64(claims())}.`, keys, { now: NOW })).rejects.toThrow(
      /malformed|unsupported/,
    );
    await expect(
      verifyJwksJwt(signWith('ES256', ec.privateKey, claims(), 'rsa-1'), keys, { now: NOW }),
    ).rejects.toThrow(/bad_signature/);
  });

  it('refuses a JWKS with a private key or without a usable key', async () => {
    expect(() => loadJwks({ keys: [rsa.privateKey.export({ format: 'jwk' })] })).toThrow(/private key/);
    expect(() => loadJwks({ keys: [{ kty: 'oct', k: 'abc' }] })).toThrow(/no RS256/);
    expect(() => loadJwks({})).toThrow(/"keys" array/);
  });
});
