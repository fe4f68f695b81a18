// @clock-sensitive: token expiry; npm test runs this file again with the clock a year ahead.
import { GatewayError } from '../errors/gateway-error';
import { ANONYMOUS_ACTOR, authenticate } from './authenticate';
import { signDevToken } from '@strongroom/auth';

const SECRET = 'a-test-secret-that-is-at-least-32-characters';
const ON = { authEnabled: true, jwtSecret: SECRET };
const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);

async function refusal(fn: () => Promise<unknown>): Promise<GatewayError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected authentication to fail');
}

describe('authenticate', () => {
  it('returns the subject and the known roles of a valid bearer token', async () => {
    const token = signDevToken(
      { sub: 'ops-1', roles: ['operator', 'superuser', 'operator'], ttlSeconds: 60 },
      SECRET,
      NOW,
    );
    expect(await authenticate(`Bearer ${token}`, ON, NOW)).toEqual({ sub: 'ops-1', roles: ['operator'] });
    expect((await authenticate(`bearer   ${token}`, ON, NOW)).sub).toBe('ops-1');
  });

  it('refuses a request without a token with UNAUTHENTICATED, HTTP 401 and a Bearer challenge', async () => {
    const err = await refusal(() => authenticate(undefined, ON, NOW));
    expect(err.code).toBe('UNAUTHENTICATED');
    const http = err.extensions.http as { status: number; headers: Map<string, string> };
    expect(http.status).toBe(401);
    expect(http.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('refuses other authorization schemes and broken tokens without echoing them', async () => {
    expect((await refusal(() => authenticate('Basic YWxpY2U6c2VjcmV0', ON, NOW))).code).toBe('UNAUTHENTICATED');
    const err = await refusal(() => authenticate('Bearer not.a.jwt', ON, NOW));
    expect(err.code).toBe('UNAUTHENTICATED');
    expect(err.message).not.toContain('not.a.jwt');
  });

  it('refuses a token valid for longer than the maximum lifetime (12 h by default)', async () => {
    const forever = signDevToken({ sub: 'ops-1', roles: ['admin'], ttlSeconds: 10 * 365 * 86400 }, SECRET, NOW);
    expect((await refusal(() => authenticate(`Bearer ${forever}`, ON, NOW))).message).toMatch(/valid for longer/);
    const day = signDevToken({ sub: 'ops-1', roles: ['admin'], ttlSeconds: 86400 }, SECRET, NOW);
    expect((await authenticate(`Bearer ${day}`, { ...ON, maxTokenLifetimeSeconds: 2 * 86400 }, NOW)).sub).toBe('ops-1');
  });

  it('tells the caller when the token has expired', async () => {
    const token = signDevToken({ sub: 'ops-1', roles: ['viewer'], ttlSeconds: 60 }, SECRET, NOW);
    expect((await refusal(() => authenticate(`Bearer ${token}`, ON, NOW + 3_600_000))).message).toMatch(/expired/);
  });

  it('lets everyone in as the anonymous admin when authentication is off', async () => {
    expect(await authenticate(undefined, { authEnabled: false, jwtSecret: undefined })).toBe(ANONYMOUS_ACTOR);
  });
});
