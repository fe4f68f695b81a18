import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { silentLogger } from '@strongroom/logging';
import { verifyBearer } from './bearer';
import { openJwksSource } from './jwks-source';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function token(key: KeyObject, kid: string): string {
  const now = Math.floor(Date.now() / 1000);
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64({ sub: 'rot', roles: ['viewer'], iat: now, exp: now + 300 })}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/** The identity provider's keys from a URL, through jose's remote key set, against a real HTTP server. */
describe('openJwksSource (JWKS URL)', () => {
  const k1 = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const k2 = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = (k: typeof k1, kid: string) => ({ ...k.publicKey.export({ format: 'jwk' }), kid, use: 'sig' });
  let served: unknown = { keys: [jwk(k1, 'k1')] };
  let fetches = 0;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(served));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('fetches at start, follows a key rotation, and keeps the last good keys when the provider is away', async () => {
    const source = await openJwksSource({ url }, silentLogger(), 100);
    try {
      expect(fetches).toBe(1); // at start: a gateway that cannot verify anyone does not start
      const verify = (t: string) => verifyBearer(t, { jwks: source?.keys });
      await expect(verify(token(k1.privateKey, 'k1'))).resolves.toMatchObject({ sub: 'rot' });
      // the provider rotates to a new key: a token naming it makes the gateway fetch again (after the cooldown)
      served = { keys: [jwk(k1, 'k1'), jwk(k2, 'k2')] };
      await new Promise((r) => setTimeout(r, 150));
      await expect(verify(token(k2.privateKey, 'k2'))).resolves.toMatchObject({ sub: 'rot' });
      expect(fetches).toBe(2);
      // the provider answers garbage now: known keys still verify
      served = { nope: true };
      await new Promise((r) => setTimeout(r, 150));
      await expect(verify(token(k1.privateKey, 'k1'))).resolves.toMatchObject({ sub: 'rot' });
    } finally {
      source?.stop();
    }
  });

  it('refuses to start when the URL serves no key set', async () => {
    served = { keys: 'none' };
    await expect(openJwksSource({ url }, silentLogger(), 100)).rejects.toThrow();
  });
});
