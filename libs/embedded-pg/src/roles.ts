import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { Client } from 'pg';
import { type Cluster } from './cluster';

/**
 * The logins of an embedded cluster. The superuser made by initdb provisions them and is used for
 * nothing else: the owner (migrations; owns the database and the schema objects, but is no superuser and
 * cannot create roles) and the engine's runtime login (a member of the runtime group role only, which the
 * migrations grant). The names match `@strongroom/db` (RUNTIME_ROLE, RUNTIME_LOGIN).
 */
export const EMBEDDED_ROLES = Object.freeze({
  owner: 'strongroom_owner',
  runtimeLogin: 'strongroom_engine',
  runtimeGroup: 'strongroom_runtime',
});

export interface ApplicationLogins {
  /** The owner's URL (DATABASE_URL for the engine: migrations only). */
  ownerUrl: string;
  /** The runtime login's URL (DATABASE_RUNTIME_URL). */
  runtimeUrl: string;
}

/**
 * Creates (or keeps) the owner and runtime logins of `database` on an embedded cluster, with passwords
 * generated once and kept beside the data directory (mode 0600), hands the database and every object
 * of its public schema to the owner (a cluster made before this existed had them owned by the
 * superuser), and returns both URLs.
 */
export async function provisionApplicationLogins(cluster: Cluster, database: string): Promise<ApplicationLogins> {
  const { owner, runtimeLogin, runtimeGroup } = EMBEDDED_ROLES;
  const ownerPw = readOrCreateSecret(`${cluster.dataDir}.${owner}.password`);
  const runtimePw = readOrCreateSecret(`${cluster.dataDir}.${runtimeLogin}.password`);
  const su = new Client({ connectionString: cluster.serverUrl(database), application_name: 'strongroom-provision' });
  await su.connect();
  try {
    const lit = async (s: string) => (await su.query('SELECT quote_literal($1::text) AS l', [s])).rows[0].l as string;
    const ensureLogin = async (role: string, password: string) => {
      const exists = (await su.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount;
      await su.query(
        `${exists ? 'ALTER' : 'CREATE'} ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${await lit(password)}`,
      );
    };
    await ensureLogin(owner, ownerPw);
    await ensureLogin(runtimeLogin, runtimePw);
    if (!(await su.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [runtimeGroup])).rowCount)
      await su.query(`CREATE ROLE ${runtimeGroup} NOLOGIN`);
    // the owner may act as the runtime group (it grants to it); the runtime login is only that group
    await su.query(`GRANT ${runtimeGroup} TO ${owner}`);
    await su.query(`GRANT ${runtimeGroup} TO ${runtimeLogin}`);
    await su.query(`ALTER DATABASE "${database.replace(/"/g, '""')}" OWNER TO ${owner}`);
    await su.query(`
      DO $$ DECLARE o record; BEGIN
        FOR o IN SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'public' AND c.relkind IN ('r','v','S','p') AND c.relowner <> '${owner}'::regrole
                    AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a','i')))
        LOOP
          EXECUTE format('ALTER %s %I OWNER TO ${owner}',
            CASE o.relkind WHEN 'v' THEN 'VIEW' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, o.relname);
        END LOOP;
        FOR o IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                  WHERE n.nspname = 'public' AND p.proowner <> '${owner}'::regrole
        LOOP
          EXECUTE format('ALTER FUNCTION %s OWNER TO ${owner}', o.sig);
        END LOOP;
      END $$`);
  } finally {
    await su.end();
  }
  const url = (user: string, password: string) => {
    const u = new URL(cluster.serverUrl(database));
    u.username = user;
    u.password = encodeURIComponent(password);
    return u.toString();
  };
  return { ownerUrl: url(owner, ownerPw), runtimeUrl: url(runtimeLogin, runtimePw) };
}

function readOrCreateSecret(file: string): string {
  if (!fs.existsSync(file)) fs.writeFileSync(file, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
  return fs.readFileSync(file, 'utf8').trim();
}
