import { createHmac } from 'node:crypto';
import { signDevToken } from './hs256-jwt';

const SECRET = 'a-test-secret-that-is-at-least-32-characters';

describe('signDevToken', () => {
  it('produces a standard compact HS256 JWT that an independent implementation verifies', () => {
    const now = Date.UTC(2026, 5, 1, 8, 30, 0);
    const token = signDevToken({ sub: 'dev', roles: ['admin'], ttlSeconds: 3600 }, SECRET, now);
    const [header, payload, signature] = token.split('.') as [string, string, string];

    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toEqual({
      sub: 'dev',
      roles: ['admin'],
      iat: now / 1000,
      exp: now / 1000 + 3600,
    });
    const expected = createHmac('sha256', Buffer.from(SECRET, 'utf8'))
      .update(`${header}.${payload}`)
      .digest('base64url');
    expect(signature).toBe(expected);
    expect(token).not.toMatch(/[=+/]/);
  });

  it('refuses a subject that could not travel as gRPC metadata and a non-positive lifetime', () => {
    expect(() => signDevToken({ sub: 'line\nbreak', roles: [], ttlSeconds: 60 }, SECRET)).toThrow(TypeError);
    expect(() => signDevToken({ sub: 'dev', roles: [], ttlSeconds: 0 }, SECRET)).toThrow(TypeError);
  });
});
