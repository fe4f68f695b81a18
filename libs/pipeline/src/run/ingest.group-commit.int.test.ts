import { Client } from 'pg';
import { verifyChain } from '@strongroom/audit';
import { createPanProtector } from '@strongroom/compliance';
import { createDataSource, sqlExec, type DataSource } from '@strongroom/db';
import { silentLogger } from '@strongroom/logging';
import { createTestDatabase, type TestDatabase } from '@strongroom/testing';
import { parseJobDefinition } from '../jobs/job-definition';
import { saveJob } from '../jobs/job-store';
import { verifyRun } from './verify-run';
import { IngestSession, type IngestAck, type IngestRecordInput, type PreparedIngestBatch } from './ingest';

const rec = (id: string, n: number, extra: IngestRecordInput = {}): IngestRecordInput => ({
  txn_id: id,
  account: `ACC${n % 7}`,
  counterparty_name: 'Acme',
  amount: `${n}.25`,
  currency: 'EUR',
  booked_at: '2026-11-01T10:00:00Z',
  ...extra,
});

/** The first words of each statement sent while `work` runs. */
async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
  const calls: string[] = [];
  const proto = Client.prototype as unknown as { query: (...a: unknown[]) => unknown };
  const real = proto.query;
  proto.query = function (this: Client, ...a: unknown[]) {
    const q = a[0] as string | { text?: string } | undefined;
    calls.push(typeof q === 'string' ? q : (q?.text ?? 'COPY FROM STDIN'));
    return real.apply(this, a);
  };
  try {
    await work();
  } finally {
    proto.query = real;
  }
  return calls.map((c) => c.trim().split(/\s+/).slice(0, 2).join(' '));
}

/**
 * Stream batches that wait while another commits land in one transaction (issue 21: a stream of 1,000-record
 * batches spends a fixed cost per transaction on both sides), and each still commits as itself: its batch
 * number, ack, integrity row, idempotency key and audit entry. Anything a group cannot decide for each batch
 * alone (a re-send, a key repeated across the batches, a row the database refuses, checks) commits them one by one.
 */
describe('IngestSession.commitGroup: group commit of queued stream batches', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const ctx = () => ({ ds, logger: silentLogger(), pan: createPanProtector({ id: 't', secret: Buffer.alloc(32, 1) }) });

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 2 });
    await ds.initialize();
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  /** Prepares batches as the gRPC service does: each numbered after the ones before it. */
  async function prepareAll(session: IngestSession, batches: [string, IngestRecordInput[]][]) {
    let read = Number(session.run.recordsRead);
    const out: PreparedIngestBatch[] = [];
    for (const [key, records] of batches) {
      out.push(await session.prepare(key, records, read));
      read += records.length;
    }
    return out;
  }

  async function commitAll(session: IngestSession, group: PreparedIngestBatch[]) {
    const answers: IngestAck[][] = [];
    await session.commitGroup(group, 'test', async (acks) => {
      answers.push(acks);
    });
    return answers;
  }

  it('commits three batches in one transaction, each with its own batch number, ack, integrity row, key and audit entry', async () => {
    const saved = await saveJob(
      ds,
      parseJobDefinition('name: group-plain\nsource: { kind: grpc }\nerrors: { maxRejectRatio: 0.5 }\n'),
    );
    const session = await IngestSession.open(ctx(), saved.job.id, 'group-plain', 'test');
    try {
      await session.batch('k-0', [rec('G-0', 1)], 'test'); // the connection's staging table, named statements
      const group = await prepareAll(session, [
        ['k-1', [rec('G-1', 2), rec('G-2', 3)]],
        ['k-2', [rec('G-3', 4), rec('G-bad', 5, { currency: 'XXQ' }), rec('G-4', 6)]],
        ['k-3', [rec('G-5', 7)]],
      ]);
      let answers: IngestAck[][] = [];
      const statements = await statementsOf(async () => (answers = await commitAll(session, group)));
      // one BEGIN with the three re-send checks, one COPY, each batch's advance, the three audit entries with COMMIT
      expect(statements).toEqual([
        'BEGIN; SELECT',
        'COPY transactions',
        'INSERT INTO',
        'WITH r',
        'WITH r',
        'WITH r',
        'WITH t',
      ]);
      expect(answers).toHaveLength(1);
      expect(answers[0]).toEqual([
        expect.objectContaining({
          idempotencyKey: 'k-1',
          batchSeq: 2,
          accepted: 2,
          rejected: [],
          read: 3,
          loaded: 3,
          deadLettered: 0,
          duplicate: false,
        }),
        expect.objectContaining({
          idempotencyKey: 'k-2',
          batchSeq: 3,
          accepted: 2,
          rejected: [expect.objectContaining({ index: 1, reasonCode: 'INVALID_CURRENCY', field: 'currency' })],
          read: 6,
          loaded: 5,
          deadLettered: 1,
        }),
        expect.objectContaining({
          idempotencyKey: 'k-3',
          batchSeq: 4,
          accepted: 1,
          read: 7,
          loaded: 6,
          deadLettered: 1,
        }),
      ]);
      // a re-send of a grouped batch is answered from its own stored result
      expect(await session.batch('k-2', [rec('G-3', 4)], 'test')).toMatchObject({
        idempotencyKey: 'k-2',
        batchSeq: 3,
        accepted: 2,
        duplicate: true,
      });
      expect(
        await ds.query(
          `SELECT i.batch_seq, i.record_count::int AS n, i.details->>'firstRecord' AS first, i.details->>'lastRecord' AS last,
                  (SELECT count(*)::int FROM transactions t WHERE t.id BETWEEN i.first_id AND i.last_id AND t.run_id = i.run_id
                      AND t.source_record_no BETWEEN (i.details->>'firstRecord')::bigint AND (i.details->>'lastRecord')::bigint) AS inside
             FROM transaction_integrity i WHERE i.run_id = $1 AND i.scope = 'BATCH' ORDER BY i.batch_seq`,
          [session.run.id],
        ),
      ).toEqual([
        { batch_seq: 1, n: 1, first: '1', last: '1', inside: 1 },
        { batch_seq: 2, n: 2, first: '2', last: '3', inside: 2 },
        { batch_seq: 3, n: 2, first: '4', last: '6', inside: 2 },
        { batch_seq: 4, n: 1, first: '7', last: '7', inside: 1 },
      ]);
      expect(
        await ds.query(
          'SELECT idempotency_key AS key, batch_seq FROM ingest_batches WHERE run_id = $1 ORDER BY batch_seq',
          [session.run.id],
        ),
      ).toEqual([
        { key: 'k-0', batch_seq: 1 },
        { key: 'k-1', batch_seq: 2 },
        { key: 'k-2', batch_seq: 3 },
        { key: 'k-3', batch_seq: 4 },
      ]);
      expect(
        await ds.query(
          `SELECT (subject->>'batchSeq')::int AS seq, (details->>'groupSize')::int AS size, (details->>'loaded')::int AS loaded
             FROM immutable_audit_log WHERE action = 'batch:committed' AND subject->>'runId' = $1 ORDER BY seq`,
          [session.run.id],
        ),
      ).toEqual([
        { seq: 1, size: null, loaded: 1 },
        { seq: 2, size: 3, loaded: 2 },
        { seq: 3, size: 3, loaded: 2 },
        { seq: 4, size: 3, loaded: 1 },
      ]);
      expect(
        await ds.query('SELECT record_no::int AS n, reason_code AS code FROM dead_letter_queue WHERE run_id = $1', [
          session.run.id,
        ]),
      ).toEqual([{ n: 5, code: 'INVALID_CURRENCY' }]);
      const run = await session.complete('test');
      expect(run).toMatchObject({ status: 'SUCCEEDED', batchesCommitted: 4 });
      expect(Number(run.recordsRead)).toBe(7);
      expect(await verifyRun(ds, run.id)).toMatchObject({ ok: true, batchesChecked: 4, rowsChecked: 6 });
      expect((await verifyChain(sqlExec(ds))).ok).toBe(true);
    } finally {
      await session.close();
    }
  });

  it.each<
    [string, number, string[], [boolean, number][], (s: IngestSession) => Promise<[string, IngestRecordInput[]][]>]
  >([
    [
      'a batch of the group is a re-send',
      3,
      ['re-0', 're-1'],
      [
        [true, 1],
        [false, 2],
      ],
      async (s) => {
        await s.batch('re-0', [rec('R-0', 1)], 'test');
        return [
          ['re-0', [rec('R-0', 1)]],
          ['re-1', [rec('R-1', 2), rec('R-2', 3)]],
        ];
      },
    ],
    [
      'a txn_id repeats across the batches of the group',
      2, // seen before any transaction
      ['rp-0', 'rp-1'],
      [
        [false, 1],
        [false, 2],
      ],
      async () => [
        ['rp-0', [rec('P-0', 1), rec('P-1', 2)]],
        ['rp-1', [rec('P-1', 2), rec('P-2', 3)]],
      ],
    ],
    [
      'the database refuses a row of the group (its key was loaded by another run)',
      3,
      ['rf-0', 'rf-1'],
      [
        [false, 1],
        [false, 2],
      ],
      async () => {
        const other = await saveJob(
          ds,
          parseJobDefinition('name: group-other\nsource: { kind: grpc, system: group-rf-0 }\n'),
        );
        const s2 = await IngestSession.open(ctx(), other.job.id, 'group-other', 'test');
        try {
          await s2.batch('o-0', [rec('F-1', 2)], 'test');
        } finally {
          await s2.close();
        }
        return [
          ['rf-0', [rec('F-0', 1)]],
          ['rf-1', [rec('F-1', 2), rec('F-2', 3)]],
        ];
      },
    ],
    [
      'an idempotency key repeats within the group (the second is answered as a re-send of the first)',
      3,
      ['dk-0', 'dk-0'],
      [
        [false, 1],
        [true, 1],
      ],
      async () => [
        ['dk-0', [rec('D-0', 1)]],
        ['dk-0', [rec('D-1', 2)]],
      ],
    ],
  ])(
    'commits them one by one when %s, and every record is accounted for',
    async (_, transactions, keys, expected, setup) => {
      const saved = await saveJob(
        ds,
        parseJobDefinition(`name: group-${keys[0]}\nsource: { kind: grpc }\nerrors: { maxRejectRatio: 0.5 }\n`),
      );
      const session = await IngestSession.open(ctx(), saved.job.id, `group-${keys[0]}`, 'test');
      try {
        const batches = await setup(session);
        const group = await prepareAll(session, batches);
        let answers: IngestAck[][] = [];
        const statements = await statementsOf(async () => (answers = await commitAll(session, group)));
        // the group's transaction was tried and rolled back (unless a repeat was seen first), then each batch
        // committed in its own
        expect(statements.filter((s) => s === 'BEGIN; SELECT')).toHaveLength(transactions);
        // each answered in its own turn: duplicate or not, and its batch number
        expect(answers.map((a) => a.map((x) => [x.idempotencyKey, x.duplicate, x.batchSeq]))).toEqual(
          keys.map((k, i) => [[k, ...(expected[i] as [boolean, number])]]),
        );
        const run = await session.complete('test');
        const [counts] = await ds.query(
          `SELECT (SELECT count(*)::int FROM transactions WHERE run_id = $1) AS sink,
                (SELECT count(*)::int FROM dead_letter_queue WHERE run_id = $1) AS dlq`,
          [run.id],
        );
        // conservation: every record read is loaded, dead-lettered or filtered, and the sink holds what was loaded
        expect(Number(run.recordsRead)).toBe(
          Number(run.recordsLoaded) + Number(run.recordsDeadLettered) + Number(run.recordsFiltered),
        );
        expect(counts).toEqual({ sink: Number(run.recordsLoaded), dlq: Number(run.recordsDeadLettered) });
        expect(await verifyRun(ds, run.id)).toMatchObject({ ok: true });
      } finally {
        await session.close();
      }
    },
  );

  it('commits the batches of a job with AML checks one by one (their checks run per batch)', async () => {
    const saved = await saveJob(
      ds,
      parseJobDefinition(
        'name: group-aml\nsource: { kind: grpc }\ncompliance: { frameworks: [AML], sanctions: off }\n',
      ),
    );
    const session = await IngestSession.open(ctx(), saved.job.id, 'group-aml', 'test');
    try {
      const group = await prepareAll(session, [
        ['a-0', [rec('A-0', 1)]],
        ['a-1', [rec('A-1', 2)]],
      ]);
      let answers: IngestAck[][] = [];
      const statements = await statementsOf(async () => (answers = await commitAll(session, group)));
      expect(statements.filter((s) => s === 'BEGIN; SELECT')).toHaveLength(2);
      expect(answers.map((a) => a.map((x) => x.batchSeq))).toEqual([[1], [2]]);
    } finally {
      await session.close();
    }
  });
});
