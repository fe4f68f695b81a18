import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, type TestDatabase } from '@strongroom/testing';
import { createDataSource, dumpSchema, runMigrations, MIGRATIONS, RUNTIME_ROLE, type DataSource } from './index';
import { UUID_V7_SQL } from './migrations/1766300000000-alert-ids-time-ordered';

async function emptyDatabase(template: TestDatabase): Promise<{ url: string; drop(): Promise<void> }> {
  // a database without any migration applied: created from template0 on the same server
  const name = `${template.name}_empty`;
  const admin = new Client({ connectionString: template.url.replace(/\/[^/]+$/, '/postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
  await admin.end();
  return {
    url: template.url.replace(/\/[^/]+$/, `/${name}`),
    drop: async () => {
      const c = new Client({ connectionString: template.url.replace(/\/[^/]+$/, '/postgres') });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A job (version 1) and a SUCCEEDED run of it, for rows that must refer to both. */
async function jobWithRun(ds: DataSource, name: string): Promise<{ job: string; run: string }> {
  const [row] = (await ds.query(
    `WITH j AS (INSERT INTO jobs (id, name, current_version, source_kind, sink_table)
                VALUES (gen_random_uuid(), $1, 1, 'grpc', 'transactions') RETURNING id),
          v AS (INSERT INTO job_versions (job_id, version, definition, definition_sha256)
                SELECT id, 1, '{}', repeat('b', 64) FROM j RETURNING job_id),
          r AS (INSERT INTO job_runs (id, job_id, job_version, status, source_path, source_sha256, source_bytes)
                SELECT gen_random_uuid(), job_id, 1, 'SUCCEEDED', 'grpc', repeat('a', 64), 0 FROM v RETURNING id, job_id)
     SELECT job_id AS job, id AS run FROM r`,
    [name],
  )) as { job: string; run: string }[];
  return row as { job: string; run: string };
}

/** Removes what jobWithRun made, the run's alerts first. */
async function removeJobWithRun(ds: DataSource, job: string, run: string): Promise<void> {
  await ds.query('DELETE FROM compliance_alerts WHERE run_id = $1', [run]);
  await ds.query('DELETE FROM job_runs WHERE id = $1', [run]);
  await ds.query('DELETE FROM job_versions WHERE job_id = $1', [job]);
  await ds.query('DELETE FROM jobs WHERE id = $1', [job]);
}

/** Ids of UUID version 7 (variant 10), each group's after every id of the group before it. */
function expectTimeOrderedV7(groups: string[][]): void {
  for (const id of groups.flat())
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  for (let g = 1; g < groups.length; g++) {
    const before = [...(groups[g - 1] as string[])].sort().at(-1) as string;
    expect([...(groups[g] as string[])].sort()[0]! > before).toBe(true);
  }
}

describe('runMigrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db.drop());

  it('is safe when two engines start at once: one applies, the other waits and finds nothing to do', async () => {
    const empty = await emptyDatabase(db);
    const a = createDataSource({ url: empty.url, poolSize: 2 });
    const b = createDataSource({ url: empty.url, poolSize: 2 });
    await Promise.all([a.initialize(), b.initialize()]);
    try {
      const [ra, rb] = await Promise.all([runMigrations(a), runMigrations(b)]);
      expect([...ra, ...rb].sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
      expect(await runMigrations(a)).toEqual([]);
    } finally {
      await Promise.all([a.destroy(), b.destroy()]);
      await empty.drop();
    }
  });

  it('produces exactly the committed schema snapshot (libs/db/schema.sql); run `npm run schema:dump` after a migration', async () => {
    const ds = createDataSource({ url: db.url, poolSize: 1 });
    await ds.initialize();
    try {
      const committed = fs.readFileSync(path.resolve(__dirname, '..', 'schema.sql'), 'utf8');
      expect(await dumpSchema(ds)).toBe(committed);
    } finally {
      await ds.destroy();
    }
  });

  it('makes the audit log append-only in the database itself', async () => {
    const ds = createDataSource({ url: db.url, poolSize: 1 });
    await ds.initialize();
    try {
      const h = 'a'.repeat(64);
      await ds.query(
        `INSERT INTO immutable_audit_log (seq, occurred_at, actor, action, prev_hash, hash) VALUES (1, now(), 'test', 'test:append', $1, $2)`,
        [h, 'b'.repeat(64)],
      );
      await expect(ds.query(`UPDATE immutable_audit_log SET actor = 'mallory'`)).rejects.toMatchObject({
        code: '42501',
      });
      await expect(ds.query(`DELETE FROM immutable_audit_log`)).rejects.toMatchObject({ code: '42501' });
      await expect(ds.query(`TRUNCATE immutable_audit_log`)).rejects.toMatchObject({ code: '42501' });
      expect(await ds.query('SELECT count(*)::int AS n FROM immutable_audit_log')).toEqual([{ n: 1 }]);
    } finally {
      await ds.destroy();
    }
  });

  it('keeps every alert tied to an existing run and job, checked once per statement', async () => {
    const ds = createDataSource({ url: db.url, poolSize: 1 });
    await ds.initialize();
    try {
      const { job, run } = await jobWithRun(ds, 'alert-refs');
      const insert = (jobId: string, runId: string, key: string) =>
        ds.query(
          `INSERT INTO compliance_alerts (rule, dedupe_key, score, source_system, txn_id, account, booked_at, job_id, run_id, evidence)
           SELECT 'LARGE_TRANSACTION', $3 || g, 60, 's', g::text, 'DE89370400440532013000', now(), $1, $2, '{}' FROM generate_series(1, 3) g`,
          [jobId, runId, key],
        );
      await insert(job, run, 'txn:s:');
      expect(await ds.query('SELECT count(*)::int AS n FROM compliance_alerts WHERE run_id = $1', [run])).toEqual([
        { n: 3 },
      ]);
      const nobody = '00000000-0000-4000-8000-000000000000';
      // a run or a job that does not exist: refused, nothing inserted
      await expect(insert(job, nobody, 'a:')).rejects.toMatchObject({ code: '23503' });
      await expect(insert(nobody, run, 'b:')).rejects.toMatchObject({ code: '23503' });
      await expect(
        ds.query('UPDATE compliance_alerts SET run_id = $1 WHERE run_id = $2', [nobody, run]),
      ).rejects.toMatchObject({ code: '23503' });
      expect(await ds.query('SELECT count(*)::int AS n FROM compliance_alerts')).toEqual([{ n: 3 }]);
      // a run or a job with alerts stays
      await expect(ds.query('DELETE FROM job_runs WHERE id = $1', [run])).rejects.toMatchObject({ code: '23503' });
      await expect(ds.query('UPDATE job_runs SET id = $1 WHERE id = $2', [nobody, run])).rejects.toMatchObject({
        code: '23503',
      });
      await expect(ds.query('UPDATE jobs SET id = $1 WHERE id = $2', [nobody, job])).rejects.toMatchObject({
        code: '23503',
      });
      await expect(ds.query('TRUNCATE job_runs CASCADE')).rejects.toMatchObject({ code: '23503' });
      await expect(ds.query('TRUNCATE jobs CASCADE')).rejects.toMatchObject({ code: '23503' });
      // an alert's own changes (its status) pass
      await ds.query(`UPDATE compliance_alerts SET status = 'ESCALATED' WHERE run_id = $1`, [run]);
      // without its alerts, the run and the job may go (as before: the owner's cleanup)
      await removeJobWithRun(ds, job, run);
    } finally {
      await ds.destroy();
    }
  });

  it("gives alerts time-ordered ids (UUID version 7): each statement's after the one before", async () => {
    const ds = createDataSource({ url: db.url, poolSize: 1 });
    await ds.initialize();
    try {
      const { job, run } = await jobWithRun(ds, 'alert-ids');
      const batches: string[][] = [];
      for (let b = 0; b < 3; b++) {
        // a statement per batch, a few milliseconds apart (the id's time is in milliseconds)
        await ds.query('SELECT pg_sleep(0.005)');
        const rows = (await ds.query(
          `INSERT INTO compliance_alerts (rule, dedupe_key, score, source_system, txn_id, account, booked_at, job_id, run_id, evidence)
           SELECT 'LARGE_TRANSACTION', 'ids:' || $3 || ':' || g, 60, 's', g::text, 'DE89370400440532013000', now(), $1, $2, '{}'
             FROM generate_series(1, 50) g RETURNING id`,
          [job, run, b],
        )) as { id: string }[];
        batches.push(rows.map((r) => r.id));
      }
      expect(new Set(batches.flat()).size).toBe(150);
      // every id of a batch sorts after every id of the batch before it
      expectTimeOrderedV7(batches);
      // the layout a server before 18 gets (from a function): the same version, variant and order
      const fallback: string[][] = [];
      for (let b = 0; b < 3; b++) {
        await ds.query('SELECT pg_sleep(0.005)');
        fallback.push(
          ((await ds.query(`SELECT ${UUID_V7_SQL} AS id FROM generate_series(1, 50)`)) as { id: string }[]).map(
            (r) => r.id,
          ),
        );
      }
      expectTimeOrderedV7(fallback);
      // its first 48 bits are the time in milliseconds
      const [{ ms, now }] = (await ds.query(
        `SELECT ('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint AS ms,
                (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now FROM (SELECT ${UUID_V7_SQL} AS id) u`,
      )) as { ms: string; now: string }[];
      expect(Math.abs(Number(now) - Number(ms))).toBeLessThan(1000);
      await removeJobWithRun(ds, job, run);
    } finally {
      await ds.destroy();
    }
  });

  it('refuses amounts with more than 4 decimal places and clear card numbers in the mask column', async () => {
    const ds = createDataSource({ url: db.url, poolSize: 1 });
    await ds.initialize();
    try {
      const cols = `(source_system, txn_id, account, amount, currency, booked_at, run_id, source_record_no, card_pan_masked)`;
      await expect(
        ds.query(
          `INSERT INTO transactions ${cols} VALUES ('s', 't', 'a', 1.00001, 'EUR', now(), gen_random_uuid(), 1, NULL)`,
        ),
      ).rejects.toMatchObject({ code: '23514' });
      await expect(
        ds.query(
          `INSERT INTO transactions ${cols} VALUES ('s', 't', 'a', 1, 'EUR', now(), gen_random_uuid(), 1, '4111111111111111')`,
        ),
      ).rejects.toMatchObject({ code: '23514' });
    } finally {
      await ds.destroy();
    }
  });

  it("finds runs by id ranges after an upgrade: batches committed before it get their run's envelope, and the run index goes", async () => {
    const empty = await emptyDatabase(db);
    const ds = createDataSource({ url: empty.url, poolSize: 2 });
    await ds.initialize();
    try {
      await runMigrations(ds);
      await ds.undoLastMigration({ transaction: 'all' }); // the sink identity's cache
      await ds.undoLastMigration({ transaction: 'all' }); // the alerts' time-ordered ids
      await ds.undoLastMigration({ transaction: 'all' }); // the audit tail function
      await ds.undoLastMigration({ transaction: 'all' }); // the schema as it was before the ranges
      const [{ job }] = (await ds.query(
        `WITH j AS (INSERT INTO jobs (id, name, current_version, source_kind, sink_table)
                    VALUES (gen_random_uuid(), 'ranges', 1, 'csv', 'transactions') RETURNING id)
         INSERT INTO job_versions (job_id, version, definition, definition_sha256) SELECT id, 1, '{}', repeat('b', 64) FROM j RETURNING job_id AS job`,
      )) as { job: string }[];
      const run = async (status: string) =>
        (
          (await ds.query(
            `INSERT INTO job_runs (id, job_id, job_version, status, source_path, source_sha256, source_bytes)
             VALUES (gen_random_uuid(), $1, 1, $2, 'f.csv', repeat('a', 64), 0) RETURNING id`,
            [job, status],
          )) as { id: string }[]
        )[0]!.id;
      const [kept, failed] = [await run('SUCCEEDED'), await run('FAILED')];
      // the two runs' rows interleave: kept 1, failed 1, kept 2, failed 2, kept 3
      for (const [r, no] of [
        [kept, 1],
        [failed, 1],
        [kept, 2],
        [failed, 2],
        [kept, 3],
      ] as const)
        await ds.query(
          `INSERT INTO transactions (source_system, txn_id, account, amount, currency, booked_at, run_id, source_record_no)
           VALUES ('s', $1, 'a', 1, 'EUR', now(), $2, $3)`,
          [`${r.slice(0, 8)}-${no}`, r, no],
        );
      for (const r of [kept, failed])
        await ds.query(
          `INSERT INTO transaction_integrity (run_id, batch_seq, scope, record_count, totals, digest_sha256, details)
           VALUES ($1, 1, 'BATCH', 0, '{}', repeat('c', 64), '{}')`,
          [r],
        );
      expect(await runMigrations(ds)).toEqual([
        'RunIdRanges1766100000000',
        'AuditTail1766200000000',
        'AlertIdsTimeOrdered1766300000000',
        'SinkIdCache1766400000000',
      ]);
      // the sink's identity hands out its values a thousand at a time per session
      expect(
        await ds.query(`SELECT cache_size::int AS n FROM pg_sequences WHERE sequencename = 'transactions_id_seq'`),
      ).toEqual([{ n: 1000 }]);
      const ids = async (r: string) =>
        (
          (await ds.query('SELECT id::int AS id FROM transactions WHERE run_id = $1 ORDER BY id', [r])) as {
            id: number;
          }[]
        ).map((x) => x.id);
      const keptIds = await ids(kept);
      expect(await ds.query('SELECT lo::int, hi::int FROM strongroom_run_ranges($1)', [kept])).toEqual([
        { lo: keptIds[0], hi: keptIds[2] },
      ]);
      // the envelope holds the other run's rows; the run's rows are found exactly, in id order, page by page
      const rows = async (r: string, after: number, n: number) =>
        (
          (await ds.query('SELECT id::int AS id FROM strongroom_run_rows($1, $2, $3)', [r, after, n])) as {
            id: number;
          }[]
        ).map((x) => x.id);
      expect(await rows(kept, 0, 10)).toEqual(keptIds);
      expect(await rows(kept, keptIds[0]!, 1)).toEqual([keptIds[1]]);
      expect(await rows(failed, 0, 10)).toEqual(await ids(failed));
      // removing the failed run's rows leaves the other run's, between them, untouched
      expect(await ds.query('SELECT strongroom_unpublish_run($1)::int AS n', [failed])).toEqual([{ n: 2 }]);
      expect(await ids(kept)).toEqual(keptIds);
      expect(await ds.query(`SELECT indexname FROM pg_indexes WHERE indexname = 'transactions_run_idx'`)).toEqual([]);
    } finally {
      await ds.destroy();
      await empty.drop();
    }
  });

  it('lets the engine runtime role append to the audit log but never change it or switch its triggers off', async () => {
    const ds = createDataSource({ url: db.url, poolSize: 1, role: RUNTIME_ROLE });
    await ds.initialize();
    try {
      expect(await ds.query('SELECT current_user AS u')).toEqual([{ u: RUNTIME_ROLE }]);
      await ds.query(
        `INSERT INTO immutable_audit_log (seq, occurred_at, actor, action, prev_hash, hash) VALUES (2, now(), 'test', 'test:append', $1, $2)`,
        ['b'.repeat(64), 'c'.repeat(64)],
      );
      for (const sql of [
        `UPDATE immutable_audit_log SET actor = 'mallory'`,
        `DELETE FROM immutable_audit_log`,
        `TRUNCATE immutable_audit_log`,
        `ALTER TABLE immutable_audit_log DISABLE TRIGGER USER`,
        `ALTER TABLE immutable_audit_log DISABLE TRIGGER immutable_audit_log_no_update_delete`,
        `UPDATE audit_checkpoints SET hash = hash`,
      ]) {
        await expect(ds.query(sql)).rejects.toMatchObject({ code: '42501' });
      }
      // it may still do its job: read and write the operational tables
      expect(await ds.query('SELECT count(*)::int AS n FROM job_runs')).toEqual([{ n: 0 }]);
    } finally {
      await ds.destroy();
    }
  });
});
