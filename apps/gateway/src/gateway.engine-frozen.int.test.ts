import { signDevToken } from '@strongroom/auth';
import { silentLogger } from '@strongroom/logging';
import {
  createTestDatabase,
  makeTempDir,
  startEngineProcess,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';
import { loadConfig } from './config';
import { startGateway, type RunningGateway } from './server';

const SECRET = 'frozen-engine-test-secret-at-least-32-chars';
const VIEWER = signDevToken({ sub: 'viewer', roles: ['viewer'], ttlSeconds: 600 }, SECRET);

/** The engine frozen (SIGSTOP): a gateway query answers with a deadline error in time, never hangs. */
describe('gateway in front of a frozen engine', () => {
  let db: TestDatabase;
  let engine: EngineProcess;
  let gateway: RunningGateway;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { GATEWAY_JWT_SECRET: SECRET, STRONGROOM_HOME: makeTempDir() },
    });
    gateway = await startGateway(
      loadConfig({
        GATEWAY_PORT: '0',
        STRONGROOM_ENGINE: engine.address,
        GATEWAY_JWT_SECRET: SECRET,
        GATEWAY_ENGINE_DEADLINE_MS: '1500',
      }),
      silentLogger(),
    );
  });
  afterAll(async () => {
    engine?.child.kill('SIGCONT');
    await gateway?.stop();
    await engine?.stop();
    await db?.drop();
  });

  const query = async () => {
    const t0 = Date.now();
    const res = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${VIEWER}` },
      body: JSON.stringify({ query: '{ jobs(first: 5) { edges { node { id } } } }' }),
    });
    return {
      ms: Date.now() - t0,
      body: (await res.json()) as { data?: unknown; errors?: { extensions: { code: string } }[] },
    };
  };

  const healthz = async () => {
    const t0 = Date.now();
    const res = await fetch(gateway.url.replace(/\/graphql$/, '/healthz'));
    return { ms: Date.now() - t0, status: res.status, body: (await res.json()) as { status: string } };
  };

  it('answers within its deadline while the engine is frozen, and normally once it thaws', async () => {
    expect((await query()).body.errors).toBeUndefined();
    expect(await healthz()).toMatchObject({ status: 200, body: { status: 'ok' } });
    engine.child.kill('SIGSTOP');
    const degraded = await healthz();
    expect(degraded).toMatchObject({ status: 503, body: { status: 'degraded' } });
    expect(degraded.ms).toBeLessThan(2500); // reports degraded status rather than hanging
    const codes: string[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await query();
      expect(r.ms).toBeLessThan(3000); // deadline 1.5 s (then fail-fast while the breaker is open), never a hang
      codes.push(r.body.errors?.[0]?.extensions.code ?? 'OK');
    }
    expect(codes[0]).toBe('ENGINE_TIMEOUT');
    expect(codes.every((c) => c === 'ENGINE_TIMEOUT' || c === 'ENGINE_UNAVAILABLE')).toBe(true);
    expect(codes).toContain('ENGINE_UNAVAILABLE'); // the breaker opened: later calls fail fast
    engine.child.kill('SIGCONT');
    let ok = false;
    for (let i = 0; i < 40 && !ok; i++) {
      await new Promise((r) => setTimeout(r, 250));
      ok = (await query()).body.errors === undefined;
    }
    expect(ok).toBe(true);
    expect((await healthz()).status).toBe(200);
  }, 60_000);
});
