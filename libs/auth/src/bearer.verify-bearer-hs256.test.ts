// @clock-sensitive: token expiry; npm test runs this file again with the clock a year ahead.
import { createHmac } from 'node:crypto';
import { verifyBearer } from './bearer';
import { TokenError, signDevToken } from './hs256-jwt';

const SECRET = 'a-test-secret-that-is-at-least-32-characters';
const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const sign = (input: string, secret = SECRET): string => createHmac('sha256', secret).update(input).digest('base64url');

/** A token built by hand, so header and payload can be anything. */
function handMade(header: unknown, payload: unknown, secret = SECRET): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign(input, secret)}`;
}

async function rejection(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof TokenError) return err.reason;
    throw err;
  }
  throw new Error('expected the token to be rejected');
}

/** The HS256 path of verifyBearer (development tokens), as the hand-written verifier was called. */
const verifyHs256Jwt = (
  token: string,
  secret: string,
  o: { now?: number; clockToleranceSeconds?: number; maxLifetimeSeconds?: number } = {},
) =>
  verifyBearer(
    token,
    {
      hs256Secret: secret,
      ...(o.clockToleranceSeconds === undefined ? {} : { clockToleranceSeconds: o.clockToleranceSeconds }),
      ...(o.maxLifetimeSeconds === undefined ? {} : { maxLifetimeSeconds: o.maxLifetimeSeconds }),
    },
    o.now,
  );

const nowSeconds = NOW / 1000;
const validPayload = { sub: 'alice', roles: ['viewer'], iat: nowSeconds, exp: nowSeconds + 600 };

describe('verifyBearer with HS256 development tokens (the attack tests of the hand-written verifier)', () => {
  it('accepts a token it signed and returns its subject and roles', async () => {
    const token = signDevToken({ sub: 'alice', roles: ['operator', 'viewer'], ttlSeconds: 600 }, SECRET, NOW);
    const principal = await verifyHs256Jwt(token, SECRET, { now: NOW });
    expect(principal).toEqual({ sub: 'alice', roles: ['operator', 'viewer'] });
  });

  it('rejects a token that expired longer ago than the clock tolerance', async () => {
    const token = signDevToken({ sub: 'alice', roles: ['viewer'], ttlSeconds: 60 }, SECRET, NOW);
    await expect(verifyHs256Jwt(token, SECRET, { now: NOW + 60_000 + 29_000 })).resolves.toBeDefined();
    expect(await rejection(() => verifyHs256Jwt(token, SECRET, { now: NOW + 60_000 + 30_000 }))).toBe('expired');
    expect(await rejection(() => verifyHs256Jwt(token, SECRET, { now: NOW + 61_000, clockToleranceSeconds: 0 }))).toBe(
      'expired',
    );
  });

  it('rejects a token used before its nbf', async () => {
    const token = handMade({ alg: 'HS256', typ: 'JWT' }, { ...validPayload, nbf: nowSeconds + 300 });
    expect(await rejection(() => verifyHs256Jwt(token, SECRET, { now: NOW }))).toBe('not_yet_valid');
    expect((await verifyHs256Jwt(token, SECRET, { now: NOW + 300_000 })).sub).toBe('alice');
  });

  it('rejects a token whose payload was changed after signing', async () => {
    const token = signDevToken({ sub: 'alice', roles: ['viewer'], ttlSeconds: 600 }, SECRET, NOW);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${b64({ ...validPayload, roles: ['admin'] })}.${signature}`;
    expect(await rejection(() => verifyHs256Jwt(forged, SECRET, { now: NOW }))).toBe('bad_signature');
  });

  it('rejects a token signed with another secret', async () => {
    const token = handMade({ alg: 'HS256' }, validPayload, 'another-secret-that-is-at-least-32-characters');
    expect(await rejection(() => verifyHs256Jwt(token, SECRET, { now: NOW }))).toBe('bad_signature');
  });

  it('rejects alg none, with or without a signature', async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(validPayload)}.`;
    expect(await rejection(() => verifyHs256Jwt(unsigned, SECRET, { now: NOW }))).toBe('malformed');
    const signedNone = handMade({ alg: 'none' }, validPayload);
    expect(await rejection(() => verifyHs256Jwt(signedNone, SECRET, { now: NOW }))).toBe('unsupported_algorithm');
  });

  it('rejects every algorithm other than HS256, whatever the case', async () => {
    for (const alg of ['HS512', 'RS256', 'hs256', 'ES256']) {
      expect(await rejection(() => verifyHs256Jwt(handMade({ alg }, validPayload), SECRET, { now: NOW }))).toBe(
        'unsupported_algorithm',
      );
    }
  });

  it('rejects a header with crit extensions it does not understand', async () => {
    const token = handMade({ alg: 'HS256', crit: ['b64'], b64: false }, validPayload);
    expect(await rejection(() => verifyHs256Jwt(token, SECRET, { now: NOW }))).toBe('unsupported_algorithm');
  });

  it('rejects a second spelling of a valid signature (padding, or different unused trailing bits)', async () => {
    const token = signDevToken({ sub: 'alice', roles: [], ttlSeconds: 600 }, SECRET, NOW);
    expect(await rejection(() => verifyHs256Jwt(`${token}=`, SECRET, { now: NOW }))).toBe('malformed');

    // 32 signature bytes take 43 base64url characters; the last one carries 2 unused bits, so
    // flipping its lowest bit decodes to the same bytes in a lenient decoder.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const signature = token.split('.')[2] as string;
    const last = alphabet.indexOf(signature.at(-1) as string);
    const twin = signature.slice(0, -1) + alphabet[last ^ 1];
    expect(Buffer.from(twin, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    const forged = token.slice(0, token.length - signature.length) + twin;
    expect(await rejection(() => verifyHs256Jwt(forged, SECRET, { now: NOW }))).toBe('bad_signature');
  });

  it('rejects malformed tokens without throwing anything but TokenError', async () => {
    for (const bad of [
      '',
      'abc',
      'a.b',
      'a.b.c.d',
      '!!.??.##',
      `${b64('x')}.${b64(validPayload)}.sig`,
      'x'.repeat(9000),
    ]) {
      expect(await rejection(() => verifyHs256Jwt(bad, SECRET, { now: NOW }))).toMatch(/malformed|bad_signature/);
    }
  });

  it('rejects tokens without exp, with a non-string sub or with roles that are not strings', async () => {
    const cases = [
      { sub: 'alice', roles: [] },
      { ...validPayload, exp: '2030-01-01' },
      { ...validPayload, sub: 42 },
      { ...validPayload, sub: '' },
      { ...validPayload, sub: 'caf\u00e9' },
      { ...validPayload, roles: 'admin' },
      { ...validPayload, roles: [1] },
    ];
    for (const payload of cases) {
      expect(await rejection(() => verifyHs256Jwt(handMade({ alg: 'HS256' }, payload), SECRET, { now: NOW }))).toBe(
        'invalid_claims',
      );
    }
  });

  it('refuses a token that lives longer than the maximum lifetime (12 h unless configured), also without iat', async () => {
    const sign = (payload: Record<string, unknown>) => {
      const head = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${head}.${body}.${createHmac('sha256', SECRET).update(`${head}.${body}`).digest('base64url')}`;
    };
    const at = NOW / 1000;
    const twelveHours = sign({ sub: 'a', roles: [], iat: at, exp: at + 12 * 3600 });
    expect((await verifyHs256Jwt(twelveHours, SECRET, { now: NOW })).sub).toBe('a');
    const untilYear9999 = sign({ sub: 'a', roles: [], iat: at, exp: 253402300799 });
    expect(await rejection(() => verifyHs256Jwt(untilYear9999, SECRET, { now: NOW }))).toBe('too_long_lived');
    const noIat = sign({ sub: 'a', roles: [], exp: at + 2 * 86400 });
    expect(await rejection(() => verifyHs256Jwt(noIat, SECRET, { now: NOW }))).toBe('too_long_lived');
    expect((await verifyHs256Jwt(noIat, SECRET, { now: NOW, maxLifetimeSeconds: 3 * 86400 })).sub).toBe('a');
  });
});
