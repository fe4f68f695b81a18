import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startCluster } from '@strongroom/embedded-pg';
import { childBaseEnv, makeTempDir, querySql } from '@strongroom/testing';
import { startStack, type Stack } from './commands/serve';
import { loadConfig } from './config';

/**
 * `serve` on the embedded cluster (issue 16, item 5): initdb's superuser only provisions. The engine
 * migrates as the owner login (no superuser, no CREATEROLE) and works as the runtime login; a cluster
 * made by an earlier version, whose objects the superuser owned, is handed over to the owner.
 */
describe('serve on an embedded PostgreSQL', () => {
  const home = makeTempDir();
  fs.chmodSync(home, 0o755); // the embedded server may run as the postgres user
  let stack: Stack | undefined;
  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  it('runs migrations as a non-superuser owner and every engine session as the runtime login', async () => {
    // an older home: its objects belong to the superuser
    const old = await startCluster({ dataDir: path.join(home, 'pg'), database: 'strongroom' });
    await querySql(old.url, 'CREATE TABLE legacy_notes (id int)');
    await old.stop();

    stack = await startStack(
      loadConfig({ STRONGROOM_HOME: home, ENGINE_PORT: '0', GATEWAY_PORT: '0', LOG_LEVEL: 'warn' }),
    );
    const su = new URL(stack.databaseUrl);
    su.username = 'strongroom';
    su.password = encodeURIComponent(fs.readFileSync(path.join(home, 'pg.password'), 'utf8').trim());
    const suUrl = su.toString();
    expect(new URL(stack.databaseUrl).username).toBe('strongroom_owner');

    const roles = await querySql(
      suUrl,
      `SELECT rolname, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles
        WHERE rolname IN ('strongroom_owner', 'strongroom_engine') ORDER BY rolname`,
    );
    expect(roles).toEqual([
      { rolname: 'strongroom_engine', rolsuper: false, rolcreaterole: false, rolcreatedb: false },
      { rolname: 'strongroom_owner', rolsuper: false, rolcreaterole: false, rolcreatedb: false },
    ]);
    const owners = await querySql(
      suUrl,
      `SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v')`,
    );
    expect(owners).toEqual([{ owner: 'strongroom_owner' }]);
    const sessions = await querySql<{ usename: string }>(
      suUrl,
      `SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name = 'strongroom-engine'`,
    );
    expect(sessions).toEqual([{ usename: 'strongroom_engine' }]);
    // the owner's login is a real password login (scram), not the superuser's
    expect(await querySql(stack.databaseUrl, 'SELECT current_user AS u')).toEqual([{ u: 'strongroom_owner' }]);
  }, 120_000);

  it("makes no development secret and no development token in production (callers bring the provider's tokens)", async () => {
    const own = makeTempDir();
    fs.chmodSync(own, 0o755);
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwks = path.join(own, 'idp-jwks.json');
    fs.writeFileSync(
      jwks,
      JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig' }] }),
    );
    const prod = await startStack(
      loadConfig({
        STRONGROOM_HOME: own,
        STRONGROOM_ENV: 'production',
        GATEWAY_JWKS_FILE: jwks,
        GATEWAY_JWT_ISSUER: 'https://idp.example',
        GATEWAY_JWT_AUDIENCE: 'strongroom',
        ENGINE_PORT: '0',
        GATEWAY_PORT: '0',
        LOG_LEVEL: 'warn',
      }),
    );
    try {
      expect(prod.devTokens).toBeUndefined();
      expect(fs.existsSync(path.join(own, 'keys', 'gateway-jwt.secret'))).toBe(false);
      // the gateway verifies against the provider's keys only: a development-style token is refused
      const res = await fetch(prod.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-provider-token' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(res.status).toBe(401);
    } finally {
      await prod.stop();
    }
  }, 120_000);

  it('refuses a second serve on the same home, and stops on Ctrl-C in order, with a final audit checkpoint, exit 0', async () => {
    const own = makeTempDir();
    fs.chmodSync(own, 0o755);
    const env = { ...childBaseEnv(), STRONGROOM_HOME: own, ENGINE_PORT: '0', GATEWAY_PORT: '0', LOG_LEVEL: 'warn' };
    const bin = path.join(__dirname, '..', '..', '..', 'bin', 'strongroom.js');
    // its own process group, like a shell's foreground job: Ctrl-C is a SIGINT to the whole group
    const first = spawn(process.execPath, [bin, 'serve'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    first.stdout.on('data', (b: Buffer) => (out += b.toString()));
    first.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((resolve) => first.once('exit', (code) => resolve(code)));
    for (let i = 0; i < 600 && !out.includes('strongroom ready'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(out).toContain('strongroom ready');

    // some work, so that the chain has entries past its last checkpoint
    const engineAddress = /engine (\S+) \(gRPC\)/.exec(out)?.[1] as string;
    fs.mkdirSync(path.join(own, 'inbox'), { recursive: true });
    fs.writeFileSync(path.join(own, 'inbox', 'day.csv'), 'id,acct,amt,ccy,ts\n1,A,1.00,EUR,2026-01-01\n');
    const jobFile = path.join(own, 'inbox', 'day.yaml');
    fs.writeFileSync(
      jobFile,
      'name: ctrl-c\nsource:\n  kind: csv\n  path: day.csv\n  mapping: { txn_id: id, account: acct, amount: amt, currency: ccy, booked_at: ts }\n',
    );
    const ran = spawnSync(process.execPath, [bin, 'run', jobFile, '--json'], {
      env: { ...env, STRONGROOM_ENGINE: engineAddress },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(ran.status).toBe(0);

    const second = spawnSync(process.execPath, [bin, 'serve'], { env, encoding: 'utf8', timeout: 60_000 });
    expect(second.status).toBe(1);
    expect(second.stderr).toContain(`another strongroom serve/start (pid ${first.pid}) is running on`);

    process.kill(-(first.pid as number), 'SIGINT');
    expect(await exited).toBe(0);
    expect(fs.existsSync(path.join(own, 'serve.lock'))).toBe(false);
    // the engine stopped before the database: its final checkpoint covers the head of the chain
    const pg = await startCluster({ dataDir: path.join(own, 'pg'), database: 'strongroom' });
    try {
      const [heads] = await querySql<{ entries: string; checkpointed: string }>(
        pg.url,
        `SELECT (SELECT max(seq) FROM immutable_audit_log)::text AS entries, (SELECT max(seq) FROM audit_checkpoints)::text AS checkpointed`,
      );
      expect(Number(heads?.entries)).toBeGreaterThan(0);
      expect(heads?.checkpointed).toBe(heads?.entries);
    } finally {
      await pg.stop();
    }
  }, 180_000);
});
