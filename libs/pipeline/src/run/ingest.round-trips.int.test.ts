import { Client } from 'pg';
import { verifyChain } from '@strongroom/audit';
import { createPanProtector } from '@strongroom/compliance';
import { createDataSource, sqlExec, type DataSource } from '@strongroom/db';
import { silentLogger } from '@strongroom/logging';
import { createTestDatabase, type TestDatabase } from '@strongroom/testing';
import { parseJobDefinition } from '../jobs/job-definition';
import { saveJob } from '../jobs/job-store';
import { IngestSession, type IngestRecordInput } from './ingest';

const rec = (n: number): IngestRecordInput => ({
  txn_id: `R-${n}`,
  account: `ACC${n % 7}`,
  counterparty_name: 'Acme',
  amount: `${n}.50`,
  currency: 'EUR',
  booked_at: '2026-11-01T10:00:00Z',
});

/**
 * A stream's batch waits for the database once per statement, so its round trips bound its rate (issue 21):
 * BEGIN with the re-send check, the id floor and the fast path's savepoint; the COPY; the run's counters with
 * the stream's checkpoint, the batch's integrity row and its idempotency key; the audit entry (appended at the
 * chain's tail under its lock, its hash computed by the database) with COMMIT. It was 14, then 8.
 */
describe('IngestSession: round trips of a stream batch', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 2 });
    await ds.initialize();
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('commits a batch in 4 round trips, and the batch still lands exactly once with an intact audit chain', async () => {
    const saved = await saveJob(ds, parseJobDefinition('name: round-trips\nsource: { kind: grpc }\n'));
    const ctx = { ds, logger: silentLogger(), pan: createPanProtector({ id: 't', secret: Buffer.alloc(32, 1) }) };
    const session = await IngestSession.open(ctx, saved.job.id, 'rt', 'test');
    try {
      await session.batch('b-0', [rec(1), rec(2)], 'test'); // the connection's staging table, named statements
      const calls: string[] = [];
      const proto = Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
      const real = proto.query;
      proto.query = function (this: Client, ...a: unknown[]) {
        const q = a[0] as string | { text?: string } | undefined;
        calls.push(typeof q === 'string' ? q : (q?.text ?? 'COPY FROM STDIN'));
        return real.apply(this, a);
      };
      let ack;
      try {
        ack = await session.batch('b-1', [rec(3), rec(4), rec(5)], 'test');
      } finally {
        proto.query = real;
      }
      expect(ack).toMatchObject({ duplicate: false, accepted: 3, read: 5, loaded: 5 });
      expect(calls.map((c) => c.trim().split(/\s+/).slice(0, 2).join(' '))).toEqual([
        'BEGIN; SELECT',
        'COPY transactions',
        'WITH r',
        'WITH t',
      ]);
      expect(calls[calls.length - 1]).toMatch(
        /^WITH t AS \(SELECT seq::bigint AS seq, hash FROM strongroom_audit_tail.*; COMMIT$/s,
      );
      // a re-send answers from the stored result and loads nothing
      expect(await session.batch('b-1', [rec(3), rec(4), rec(5)], 'test')).toMatchObject({
        duplicate: true,
        loaded: 5,
      });
      const [cp] = await ds.query(
        `SELECT c.batch_seq, c.records_read::int AS read, c.loaded::int AS loaded FROM run_checkpoints c WHERE c.run_id = $1`,
        [session.run.id],
      );
      expect(cp).toEqual({ batch_seq: 2, read: 5, loaded: 5 });
      expect(await ds.query('SELECT count(*)::int AS n FROM transactions')).toEqual([{ n: 5 }]);
      // each batch's integrity row says where its rows lie
      expect(
        await ds.query(
          `SELECT i.batch_seq, i.record_count::int AS record_count,
                  (SELECT count(*)::int FROM transactions t WHERE t.id BETWEEN i.first_id AND i.last_id) AS inside
             FROM transaction_integrity i WHERE i.run_id = $1 AND i.scope = 'BATCH' ORDER BY i.batch_seq`,
          [session.run.id],
        ),
      ).toEqual([
        { batch_seq: 1, record_count: 2, inside: 2 },
        { batch_seq: 2, record_count: 3, inside: 3 },
      ]);
      expect((await verifyChain(sqlExec(ds))).ok).toBe(true);
    } finally {
      await session.close();
    }
  });
  it.each(['on', 'off'])(
    'finds a re-send by a key with quotes and backslashes, and keeps an audit entry with them intact: both go as literals (standard_conforming_strings %s)',
    async (setting) => {
      // new connections of the test database read string literals the way the setting says
      await ds.query(`ALTER DATABASE "${db.name}" SET standard_conforming_strings = ${setting}`);
      const own = createDataSource({ url: db.url, poolSize: 2 });
      await own.initialize();
      try {
        expect(await own.query('SHOW standard_conforming_strings')).toEqual([{ standard_conforming_strings: setting }]);
        const saved = await saveJob(own, parseJobDefinition(`name: keys-${setting}\nsource: { kind: grpc }\n`));
        const ctx = {
          ds: own,
          logger: silentLogger(),
          pan: createPanProtector({ id: 't', secret: Buffer.alloc(32, 1) }),
        };
        const session = await IngestSession.open(ctx, saved.job.id, `rt-keys-${setting}`, 'test');
        try {
          const keys = [`k'1`, `k\\'1`, `k\\\\n`, `k'';--`, `k\\`];
          // the batch's audit entry names its actor: a text with the same characters
          for (const [i, key] of keys.entries())
            expect(await session.batch(key, [rec(10 + i)], `user:${key}`)).toMatchObject({
              duplicate: false,
              accepted: 1,
              batchSeq: i + 1,
            });
          // each key answers its own stored result, and none is taken for another
          for (const [i, key] of keys.entries())
            expect(await session.batch(key, [rec(10 + i)], 'test')).toMatchObject({
              idempotencyKey: key,
              duplicate: true,
              batchSeq: i + 1,
              loaded: keys.length,
            });
          const stored = await own.query(
            'SELECT idempotency_key AS key FROM ingest_batches WHERE run_id = $1 ORDER BY batch_seq',
            [session.run.id],
          );
          expect(stored.map((r: { key: string }) => r.key)).toEqual(keys);
          const audited = await own.query(
            `SELECT actor FROM immutable_audit_log WHERE action = 'batch:committed' AND subject ->> 'runId' = $1 ORDER BY seq`,
            [session.run.id],
          );
          expect(audited.map((r: { actor: string }) => r.actor)).toEqual(keys.map((k) => `user:${k}`));
          expect((await verifyChain(sqlExec(own))).ok).toBe(true);
        } finally {
          await session.close();
        }
      } finally {
        await own.destroy();
        await ds.query(`ALTER DATABASE "${db.name}" RESET standard_conforming_strings`);
      }
    },
  );
  it('fails a batch whose audit entry would carry a NUL as an error of the batch, not as a database outage to retry', async () => {
    const saved = await saveJob(ds, parseJobDefinition('name: round-trips-nul\nsource: { kind: grpc }\n'));
    const ctx = { ds, logger: silentLogger(), pan: createPanProtector({ id: 't', secret: Buffer.alloc(32, 1) }) };
    const session = await IngestSession.open(ctx, saved.job.id, 'rt-nul', 'test');
    try {
      await expect(session.batch('n-1', [rec(40)], 'user:a\0b')).rejects.toThrow(TypeError);
      // nothing of it landed, and the stream goes on
      expect(await session.batch('n-1', [rec(40)], 'test')).toMatchObject({
        duplicate: false,
        accepted: 1,
        batchSeq: 1,
      });
    } finally {
      await session.close();
    }
  });
});
