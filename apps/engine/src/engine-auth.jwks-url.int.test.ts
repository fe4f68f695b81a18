import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { status } from '@grpc/grpc-js';
import { createJobServiceClient, type ListJobsRequest, type ListJobsResponse } from '@strongroom/contract';
import {
  createTestDatabase,
  makeTempDir,
  startEngineProcess,
  unaryCall,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
/** An RS256 token of the identity provider, valid for five minutes from now. */
function idpToken(key: KeyObject, kid: string, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const body = {
    sub: 'irene',
    roles: ['viewer'],
    iss: 'https://idp.example',
    aud: 'strongroom',
    iat: now,
    exp: now + 300,
  };
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64({ ...body, ...claims })}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

/**
 * The engine verifies identity-provider tokens against the provider's JWKS URL (GATEWAY_JWKS_URL), as the
 * gateway does and with the same key source (libs/auth openJwksSource: fetched at start, again for a key
 * it does not know, every 10 minutes; its key-rotation test is in libs/auth) — before, it read a JWKS file
 * only, and an engine behind a rotating provider could verify nobody.
 */
describe('engine authentication against a JWKS URL (real engine, real HTTP key server)', () => {
  const dir = makeTempDir();
  const k1 = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const k2 = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = (k: typeof k1, kid: string) => ({ ...k.publicKey.export({ format: 'jwk' }), kid, use: 'sig' });
  let fetches = 0;
  let server: Server;
  let db: TestDatabase;
  let engine: EngineProcess;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk(k1, 'k1')] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: {
        STRONGROOM_HOME: `${dir}/home`,
        GATEWAY_JWKS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
        GATEWAY_JWT_ISSUER: 'https://idp.example',
        GATEWAY_JWT_AUDIENCE: 'strongroom',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const listJobs = async (token: string) => {
    const client = createJobServiceClient({ address: engine.address, token });
    try {
      await unaryCall<ListJobsRequest, ListJobsResponse>(client, client.listJobs, {
        pageSize: 1,
        pageToken: '',
        jobIds: [],
      });
      return status.OK;
    } catch (err) {
      return (err as { code: number }).code;
    } finally {
      client.close();
    }
  };

  it("accepts the provider's tokens by the keys it fetched at start, and nothing else", async () => {
    expect(fetches).toBeGreaterThanOrEqual(1);
    expect(await listJobs(idpToken(k1.privateKey, 'k1'))).toBe(status.OK);
    expect(await listJobs(idpToken(k2.privateKey, 'k2'))).toBe(status.UNAUTHENTICATED); // a key it was never given
    expect(await listJobs(idpToken(k2.privateKey, 'k1'))).toBe(status.UNAUTHENTICATED); // a forged signature
    expect(await listJobs(idpToken(k1.privateKey, 'k1', { aud: 'another-service' }))).toBe(status.UNAUTHENTICATED);
    expect(await listJobs(idpToken(k1.privateKey, 'k1', { iss: 'https://evil.example' }))).toBe(status.UNAUTHENTICATED);
  });
});
