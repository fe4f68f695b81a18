import { Client } from 'pg';
import { RUNTIME_ROLE } from './data-source';

/**
 * The database login the engine's pooled sessions use outside production when no DATABASE_RUNTIME_URL is
 * given: a LOGIN role that is only a member of the runtime role — not a superuser, no CREATEROLE,
 * CREATEDB, BYPASSRLS or REPLICATION, and not a member of the owner, so no `SET ROLE` leads anywhere.
 */
export const RUNTIME_LOGIN = 'strongroom_engine';

/** Errors two engines creating the same role at once may see; the loser retries and finds it. */
const RACE_CODES = new Set(['23505', '42710', 'XX000', '40001', '40P01']);

/**
 * Creates (or keeps) `RUNTIME_LOGIN` as the owner (`ownerUrl`), a member of the runtime role, with
 * `password`; the password is set when the role is created or when `setPassword` says it is new.
 */
export async function ensureRuntimeLogin(ownerUrl: string, password: string, setPassword: boolean): Promise<void> {
  const client = new Client({ connectionString: ownerUrl, application_name: 'strongroom-provision' });
  await client.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [RUNTIME_LOGIN]);
        const literal = (await client.query('SELECT quote_literal($1::text) AS l', [password])).rows[0].l as string;
        if (exists.rowCount === 0) {
          await client.query(
            `CREATE ROLE ${RUNTIME_LOGIN} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD ${literal}`,
          );
        } else if (setPassword) {
          await client.query(`ALTER ROLE ${RUNTIME_LOGIN} WITH LOGIN PASSWORD ${literal}`);
        }
        const member = await client.query(`SELECT pg_has_role($1, $2, 'MEMBER') AS m`, [RUNTIME_LOGIN, RUNTIME_ROLE]);
        if (!member.rows[0].m) await client.query(`GRANT ${RUNTIME_ROLE} TO ${RUNTIME_LOGIN}`);
        return;
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        if (code === '42501')
          throw new Error(
            `the DATABASE_URL user may not create the engine's login ${RUNTIME_LOGIN} (it needs CREATEROLE); ` +
              `create a login that is a member of ${RUNTIME_ROLE} and set DATABASE_RUNTIME_URL to it`,
            { cause: err },
          );
        if (!RACE_CODES.has(code) || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  } finally {
    await client.end();
  }
}

/** `url` with its user and password replaced. */
export function withLogin(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = encodeURIComponent(user);
  u.password = encodeURIComponent(password);
  return u.toString();
}

const DANGEROUS_ROLES = [
  'pg_execute_server_program',
  'pg_read_server_files',
  'pg_write_server_files',
  'pg_read_all_data',
  'pg_write_all_data',
];

/**
 * What the session's login can do beyond the runtime role, as "role: POWER" lines — superuser,
 * CREATEROLE, CREATEDB, BYPASSRLS, REPLICATION, ownership of the schema, or server file/program access —
 * through itself or any role it can `SET ROLE` to. Empty when the login is least-privileged.
 */
export async function excessPrivileges(query: (sql: string) => Promise<unknown[]>): Promise<string[]> {
  const rows = (await query(
    `SELECT r.rolname AS role,
            array_remove(ARRAY[
              CASE WHEN r.rolsuper THEN 'SUPERUSER' END, CASE WHEN r.rolcreaterole THEN 'CREATEROLE' END,
              CASE WHEN r.rolcreatedb THEN 'CREATEDB' END, CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' END,
              CASE WHEN r.rolreplication THEN 'REPLICATION' END,
              CASE WHEN r.oid = (SELECT relowner FROM pg_class WHERE oid = to_regclass('public.transactions'))
                   THEN 'OWNER OF THE SCHEMA' END,
              CASE WHEN r.rolname IN (${DANGEROUS_ROLES.map((r) => `'${r}'`).join(', ')}) THEN upper(r.rolname) END
            ], NULL) AS powers
       FROM pg_roles r
      WHERE pg_has_role(session_user, r.oid, 'MEMBER')
      ORDER BY r.rolname`,
  )) as { role: string; powers: string[] }[];
  return rows.filter((r) => r.powers.length).map((r) => `${r.role}: ${r.powers.join(', ')}`);
}
