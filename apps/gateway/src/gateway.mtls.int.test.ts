// @clock-sensitive: certificates are valid from the day they are made; npm test runs this file again with the clock a year ahead.
// The engine behind mutual TLS (issue 7): the gateway reaches it with its client certificate; a client
// without one — or a plaintext one — is turned away by the engine itself (defense in depth).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signDevToken } from '@strongroom/auth';
import { silentLogger } from '@strongroom/logging';
import {
  type EngineProcess,
  type TestDatabase,
  createTestDatabase,
  makeTestPki,
  startEngineProcess,
} from '@strongroom/testing';
import { loadConfig } from './config';
import { type RunningGateway, startGateway } from './server';

const SECRET = 'mtls-test-secret-at-least-32-characters!';
const VIEWER = signDevToken({ sub: 'v', roles: ['viewer'], ttlSeconds: 600 }, SECRET);

describe('engine behind mutual TLS', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'strongroom-mtls-'));
  const pki = makeTestPki(dir);
  let db: TestDatabase | undefined;
  let engine: EngineProcess | undefined;
  const gateways: RunningGateway[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: {
        GATEWAY_JWT_SECRET: SECRET,
        STRONGROOM_HOME: path.join(dir, 'home'),
        ENGINE_TLS_CERT_FILE: pki.serverCert,
        ENGINE_TLS_KEY_FILE: pki.serverKey,
        ENGINE_TLS_CLIENT_CA_FILE: pki.ca,
      },
    });
  }, 60_000);
  afterAll(async () => {
    for (const g of gateways) await g.stop();
    await engine?.stop();
    await db?.drop();
  });

  async function gatewayWith(env: Record<string, string>) {
    const g = await startGateway(
      loadConfig({
        GATEWAY_PORT: '0',
        STRONGROOM_ENGINE: engine?.address as string,
        GATEWAY_JWT_SECRET: SECRET,
        GATEWAY_ENGINE_DEADLINE_MS: '3000',
        ...env,
      }),
      silentLogger(),
    );
    gateways.push(g);
    const res = await fetch(g.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${VIEWER}` },
      body: JSON.stringify({ query: '{ jobs { edges { cursor } } }' }),
    });
    return (await res.json()) as { data?: unknown; errors?: { extensions: { code: string } }[] };
  }

  it('answers the gateway that presents its client certificate', async () => {
    const r = await gatewayWith({
      STRONGROOM_ENGINE_TLS_CA_FILE: pki.ca,
      STRONGROOM_ENGINE_TLS_CERT_FILE: pki.clientCert,
      STRONGROOM_ENGINE_TLS_KEY_FILE: pki.clientKey,
    });
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ jobs: { edges: [] } });
  });

  it('turns away a client without a certificate, and a plaintext one', async () => {
    const noCert = await gatewayWith({ STRONGROOM_ENGINE_TLS_CA_FILE: pki.ca });
    expect(noCert.errors?.[0]?.extensions.code).toMatch(/^ENGINE_(UNAVAILABLE|TIMEOUT)$/);
    const plain = await gatewayWith({});
    expect(plain.errors?.[0]?.extensions.code).toMatch(/^ENGINE_(UNAVAILABLE|TIMEOUT)$/);
  });
});
