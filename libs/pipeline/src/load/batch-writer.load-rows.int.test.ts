import { randomUUID } from 'node:crypto';
import { createDataSource, pgClientOf, type DataSource, type QueryRunner } from '@strongroom/db';
import { createTestDatabase, type TestDatabase } from '@strongroom/testing';
import { loadRows, prepareStaging, sinkLines, type BatchContext } from './batch-writer';
import { type CanonicalTransaction } from '../types';

/** A new run's batch context for rows of `sourceSystem`. */
const batchContext = (sourceSystem: string): BatchContext => ({
  runId: randomUUID(),
  jobId: randomUUID(),
  sourceSystem,
  dataClassification: 'CONFIDENTIAL',
});

const txn = (recordNo: number, txnId: string, decimal = '1.00'): CanonicalTransaction => ({
  recordNo,
  raw: `${txnId},ACC1,${decimal}`,
  txnId,
  account: 'ACC1',
  counterpartyAccount: null,
  counterpartyName: null,
  amount: { decimal, minor: BigInt(decimal.replace('.', '')) },
  currency: 'EUR',
  bookedAt: '2026-01-02T10:00:00Z',
  valueDate: null,
  reference: null,
  cardPanToken: null,
  cardPanMasked: null,
});

/**
 * The direct-COPY fast path and its fallback, batch by batch in real transactions: a batch without
 * collisions loads by one COPY; a collision rolls that COPY back and staging classifies every row the
 * same way as before; the fast path then backs off, and comes back.
 */
describe('loadRows: direct COPY with fallback to staging', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let runner: QueryRunner;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 2 });
    await ds.initialize();
    runner = ds.createQueryRunner();
    await runner.connect();
    await prepareStaging(pgClientOf(runner));
  });
  afterAll(async () => {
    await runner?.release();
    await ds?.destroy();
    await db?.drop();
  });

  it('classifies collisions exactly as staging does, and backs off after one', async () => {
    const client = pgClientOf(runner);
    const ctx = batchContext('fast-path');
    const batch = async (rows: CanonicalTransaction[]) => {
      await client.query('BEGIN');
      const r = await loadRows(client, ctx, rows);
      await client.query('COMMIT');
      return {
        loaded: r.loaded,
        dead: r.dead.map((d) => [d.recordNo, d.code]),
        filtered: r.filteredByReason,
        state: { ...ctx.fastPath },
      };
    };

    expect(await batch([txn(1, 'a'), txn(2, 'b'), txn(3, 'c')])).toEqual({
      loaded: 3,
      dead: [],
      filtered: {},
      state: { skip: 0, penalty: 1, used: 1, fellBack: 0 },
    });
    // 'a' again in this run: the COPY fails on the business key, staging dead-letters it, 'd' still loads
    expect(await batch([txn(4, 'd'), txn(5, 'a')])).toEqual({
      loaded: 1,
      dead: [[5, 'DUPLICATE_KEY']],
      filtered: {},
      state: { skip: 1, penalty: 2, used: 1, fellBack: 1 },
    });
    // backing off: this batch goes through staging without trying the COPY
    expect(await batch([txn(6, 'e')])).toEqual({
      loaded: 1,
      dead: [],
      filtered: {},
      state: { skip: 0, penalty: 2, used: 1, fellBack: 1 },
    });
    // and the next one tries the fast path again, which resets the penalty
    expect(await batch([txn(7, 'f')])).toEqual({
      loaded: 1,
      dead: [],
      filtered: {},
      state: { skip: 0, penalty: 1, used: 2, fellBack: 1 },
    });
    // a key repeated inside one batch: its first row goes by the COPY, the later ones are DUPLICATE_KEY
    expect(await batch([txn(8, 'g'), txn(9, 'g'), txn(10, 'i'), txn(11, 'g'), txn(12, 'i')])).toEqual({
      loaded: 2,
      dead: [
        [9, 'DUPLICATE_KEY'],
        [11, 'DUPLICATE_KEY'],
        [12, 'DUPLICATE_KEY'],
      ],
      filtered: {},
      state: { skip: 0, penalty: 1, used: 3, fellBack: 1 },
    });

    // another run re-delivering 'b' (same content) and 'c' (different amount): ALREADY_LOADED and KEY_CONFLICT
    const other: BatchContext = { ...ctx, runId: randomUUID(), fastPath: undefined };
    await client.query('BEGIN');
    const r = await loadRows(client, other, [txn(1, 'b'), txn(2, 'c', '2.00'), txn(3, 'h')]);
    await client.query('COMMIT');
    expect({ loaded: r.loaded, dead: r.dead.map((d) => [d.recordNo, d.code]), filtered: r.filteredByReason }).toEqual({
      loaded: 1,
      dead: [[2, 'KEY_CONFLICT']],
      filtered: { ALREADY_LOADED: 1 },
    });
    expect(other.fastPath).toMatchObject({ used: 0, fellBack: 1 });
    // a key repeated inside a batch that an earlier run loaded: the COPY fails, staging says it per row
    const third: BatchContext = { ...ctx, runId: randomUUID(), fastPath: undefined };
    await client.query('BEGIN');
    const r3 = await loadRows(client, third, [txn(1, 'j'), txn(2, 'd'), txn(3, 'd', '5.00')]);
    await client.query('COMMIT');
    expect({
      loaded: r3.loaded,
      dead: r3.dead.map((d) => [d.recordNo, d.code]),
      filtered: r3.filteredByReason,
    }).toEqual({ loaded: 1, dead: [[3, 'KEY_CONFLICT']], filtered: { ALREADY_LOADED: 1 } });
    expect(third.fastPath).toMatchObject({ used: 0, fellBack: 1 });

    // nothing was written twice, and every row that loaded is there once, in record order per run
    const rows = await client.query<{ txn_id: string; n: string }>(
      `SELECT txn_id, count(*)::text AS n FROM transactions WHERE source_system = 'fast-path' GROUP BY txn_id ORDER BY txn_id`,
    );
    expect(rows.rows.map((x) => `${x.txn_id}:${x.n}`)).toEqual([
      'a:1',
      'b:1',
      'c:1',
      'd:1',
      'e:1',
      'f:1',
      'g:1',
      'h:1',
      'i:1',
      'j:1',
    ]);
  });

  it('fails the batch, not its rows, when PostgreSQL cannot read the COPY payload (the engine encoded it wrongly)', async () => {
    const client = pgClientOf(runner);
    const ctx = batchContext('bad-payload');
    const rows = [txn(1, 'p1'), txn(2, 'p2')];
    const lines = sinkLines(ctx, rows);
    lines.copy.bytes()[1] = 15; // the first binary tuple claims 15 fields: SQLSTATE 22P04
    await client.query('BEGIN');
    try {
      // before: the fast path fell back, staging split the batch, and the row was dead-lettered as LOAD_REJECTED
      await expect(loadRows(client, ctx, rows, lines)).rejects.toMatchObject({ code: '22P04' });
    } finally {
      await client.query('ROLLBACK');
    }
    expect(
      (await client.query(`SELECT count(*)::int AS n FROM transactions WHERE source_system = 'bad-payload'`)).rows,
    ).toEqual([{ n: 0 }]);
  });
});
