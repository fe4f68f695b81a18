import fs from 'node:fs';
import path from 'node:path';
import { startCluster } from '@strongroom/embedded-pg';
import { makeTempDir, querySql } from '@strongroom/testing';
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
});
