// @clock-sensitive: KYC expiry is compared with booking dates, never with today; npm test runs this file again with the clock a year ahead.
import path from 'node:path';
import { createDataSource, pgClientOf, type DataSource, type QueryRunner } from '@strongroom/db';
import {
  AML_RULES,
  amlCandidates,
  createPanProtector,
  resolveAmlConfig,
  SanctionsIndex,
  velocityClustered,
  type AmlConfig,
} from '@strongroom/compliance';
import { silentLogger } from '@strongroom/logging';
import { BreakerOpenError } from '@strongroom/resilience';
import { corpusDir, createTestDatabase, makeTempDir, writeTempFile, type TestDatabase } from '@strongroom/testing';
import {
  createRun,
  executeRun,
  getJob,
  parseJobDefinition,
  replayDeadLetters,
  RunControl,
  saveJob,
  type ScreeningSetup,
} from '../index';
import { runComplianceChecks, type ScreenedAhead } from './compliance-checks';
import { BOOKED_ISO } from '../load/sink-lines';
import { canonicalTxn } from '../testing/canonical-txn';

const CORPUS = corpusDir('sanctions');
const HEADER = 'id,account,counterparty_iban,counterparty_name,amount,currency,booked_at';

function job(
  name: string,
  file: string,
  compliance: string,
  maxRejectRatio = 0,
  batching = '{ minSize: 2, maxSize: 4 }',
): string {
  return `name: ${name}
source:
  kind: csv
  path: ${file}
  system: aml-test
  mapping: { txn_id: id, account: account, counterparty_account: counterparty_iban, counterparty_name: counterparty_name, amount: amount, currency: currency, booked_at: booked_at }
batching: ${batching}
errors: { maxRejectRatio: ${maxRejectRatio} }
compliance: ${compliance}
`;
}

/** Rows a statement's plan read from the sink (every scan of transactions, times its loops), by EXPLAIN ANALYZE. */
async function rowsReadFrom(q: QueryRunner, sql: string, params: unknown[]): Promise<number> {
  const [{ 'QUERY PLAN': plan }] = await q.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params);
  let read = 0;
  const walk = (node: Record<string, unknown>) => {
    // the rows a scan returned and those its filter removed (both per loop)
    if (node['Relation Name'] === 'transactions')
      read +=
        ((node['Actual Rows'] as number) + ((node['Rows Removed by Filter'] as number | undefined) ?? 0)) *
        (node['Actual Loops'] as number);
    for (const child of (node['Plans'] as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  walk((plan as { Plan: Record<string, unknown> }[])[0]?.Plan as Record<string, unknown>);
  return read;
}

/** How many rows a run stored, and amlCandidates of them, as the engine works them out for a batch. */
async function candidatesOfRun(
  ds: DataSource,
  runId: string,
  config: AmlConfig,
): Promise<{ rows: number; candidates: number[] | undefined }> {
  const stored = (await ds.query(
    'SELECT source_record_no::int AS no, amount::text AS amount, currency FROM transactions WHERE run_id = $1',
    [runId],
  )) as { no: number; amount: string; currency: string }[];
  const candidates = amlCandidates(
    stored.map((r) => ({
      recordNo: r.no,
      minor: BigInt(r.amount.replace('.', '')),
      exponent: (r.amount.split('.')[1] ?? '').length,
      currency: r.currency.trim(),
    })),
    config,
  );
  return { rows: stored.length, candidates };
}

/** A run's first and last sink id (as text), as a batch passes its range to the AML statements. */
async function idsOfRun(ds: DataSource, runId: string): Promise<[string, string]> {
  const [r] = (await ds.query('SELECT min(id)::text AS lo, max(id)::text AS hi FROM transactions WHERE run_id = $1', [
    runId,
  ])) as { lo: string; hi: string }[];
  return [r?.lo as string, r?.hi as string];
}

/**
 * The AML rules, sanctions screening and KYC checks inside the load, against real PostgreSQL: each rule
 * with hits and near misses, structuring caught across two runs, nothing raised twice.
 */
describe('compliance checks in the load path', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const dir = makeTempDir();
  const screening: ScreeningSetup = {
    screener: SanctionsIndex.fromFiles([path.join(CORPUS, 'ofactest/sdn.csv'), path.join(CORPUS, 'ofactest/alt.csv')]),
    threshold: 0.9,
  };
  const ctx = () => ({
    ds,
    logger: silentLogger(),
    pan: createPanProtector({ id: 'test', secret: Buffer.alloc(32, 1) }),
    screening,
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 4 });
    await ds.initialize();
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  async function load(name: string, rows: string[], compliance: string, maxRejectRatio = 0, batching?: string) {
    const file = writeTempFile(dir, `${name}.csv`, [HEADER, ...rows].join('\n') + '\n');
    const { job: saved } = await saveJob(ds, parseJobDefinition(job(name, file, compliance, maxRejectRatio, batching)));
    const j = await getJob(ds, saved.id);
    const { run } = await createRun(ds, j);
    return executeRun(ctx(), run, j, new RunControl(), () => undefined);
  }
  const alertsOf = async (runId: string) =>
    (await ds.query(
      'SELECT rule, txn_id, score, status, evidence FROM compliance_alerts WHERE run_id = $1 ORDER BY rule, txn_id',
      [runId],
    )) as {
      rule: string;
      txn_id: string;
      score: number;
      status: string;
      evidence: Record<string, unknown>;
    }[];

  const AML = `{ frameworks: [AML], aml: { velocity: { windowHours: 1, maxCount: 3 } } }`;

  /** `fn` in a transaction of its own, rolled back afterwards (nothing it writes stays). */
  async function rolledBack<T>(fn: (q: QueryRunner) => Promise<T>): Promise<T> {
    const q = ds.createQueryRunner();
    await q.connect();
    try {
      await q.query('BEGIN');
      return await fn(q);
    } finally {
      await q.query('ROLLBACK');
      await q.release();
    }
  }
  /**
   * The alerts of `rule` that `sql` raises with `params` where none of the rule's alerts exist, or, with `kept`, where
   * the alerts of every `kept.every`-th window that `kept.sql` raises exist already (an earlier batch raised them).
   */
  const ruleAlertsOf = (
    rule: string,
    sql: string,
    params: unknown[],
    kept?: { sql: string; params: unknown[]; every: number },
  ) =>
    rolledBack(async (q) => {
      await q.query('DELETE FROM compliance_alerts WHERE rule = $1', [rule]);
      if (kept) {
        await q.query(kept.sql, kept.params);
        await q.query(
          `DELETE FROM compliance_alerts WHERE rule = $1 AND id IN
             (SELECT id FROM (SELECT id, row_number() OVER (ORDER BY dedupe_key) AS i FROM compliance_alerts WHERE rule = $1) n WHERE i % $2 <> 0)`,
          [rule, kept.every],
        );
      }
      await q.query(sql, params);
      return q.query(
        'SELECT dedupe_key, txn_id, booked_at, evidence FROM compliance_alerts WHERE rule = $1 ORDER BY dedupe_key',
        [rule],
      );
    });

  it('raises each AML rule on its hits and not on the near misses; structuring is caught across two runs', async () => {
    const run1 = await load(
      'aml-1',
      [
        // large transaction (≥ 10,000 USD equivalent): hits lg1 (also a round amount) and lg3 (EUR 9,300 ≈ USD 10,044)
        'lg1,ACC-LG,,,10000.00,USD,2026-03-01T10:00:00Z',
        'lg2,ACC-LG,,,9999.99,USD,2026-03-05T10:00:00Z',
        'lg3,ACC-LG2,,,9300.00,EUR,2026-03-01T10:00:00Z',
        'lg4,ACC-LG2,,,9200.00,EUR,2026-03-10T10:00:00Z',
        // structuring: two just under the threshold now, the third comes in run 2
        'st1,ACC-ST,,,9500.00,USD,2026-03-01T09:00:00Z',
        'st2,ACC-ST,,,9800.00,USD,2026-03-02T09:00:00Z',
        //   near misses: the third below the band; three in the band but spread over more than 72 h
        'sm1,ACC-ST2,,,9500.00,USD,2026-03-01T09:00:00Z',
        'sm2,ACC-ST2,,,9600.00,USD,2026-03-01T10:00:00Z',
        'sm3,ACC-ST2,,,8999.00,USD,2026-03-01T11:00:00Z',
        'sp1,ACC-ST3,,,9500.00,USD,2026-03-01T09:00:00Z',
        'sp2,ACC-ST3,,,9500.00,USD,2026-03-03T10:00:00Z',
        'sp3,ACC-ST3,,,9500.00,USD,2026-03-05T11:00:00Z',
        // velocity (here: more than 3 in an hour): the 4th within the hour fires; spread out does not
        've1,ACC-VE,,,10.00,USD,2026-03-01T10:00:00Z',
        've2,ACC-VE,,,10.00,USD,2026-03-01T10:10:00Z',
        've3,ACC-VE,,,10.00,USD,2026-03-01T10:20:00Z',
        've4,ACC-VE,,,10.00,USD,2026-03-01T10:30:00Z',
        'vn1,ACC-VE2,,,10.00,USD,2026-03-01T10:00:00Z',
        'vn2,ACC-VE2,,,10.00,USD,2026-03-01T10:30:00Z',
        'vn3,ACC-VE2,,,10.00,USD,2026-03-01T11:01:00Z',
        'vn4,ACC-VE2,,,10.00,USD,2026-03-01T11:31:00Z',
        // round amounts: 6,000.00 fires; 6,000.50 and 4,000 (below the minimum) do not
        'ro1,ACC-RO,,,6000.00,USD,2026-03-01T10:00:00Z',
        'ro2,ACC-RO2,,,6000.50,USD,2026-03-01T10:00:00Z',
        'ro3,ACC-RO3,,,4000.00,USD,2026-03-01T10:00:00Z',
        // high-risk jurisdiction of the counterparty IBAN (IR); a German IBAN does not
        'hr1,ACC-HR,IR062960000000100324200001,,25.00,USD,2026-03-01T10:00:00Z',
        'hr2,ACC-HR,DE89370400440532013000,,25.00,USD,2026-03-01T10:00:00Z',
        // rapid movement: in 7,012.34 and out 6,900 within 48 h; out too different, or too late, does not
        'rm1,ACC-RM,,,7012.34,USD,2026-03-01T10:00:00Z',
        'rm2,ACC-RM,,,-6900.00,USD,2026-03-02T09:00:00Z',
        'rn1,ACC-RM2,,,7012.34,USD,2026-03-01T10:00:00Z',
        'rn2,ACC-RM2,,,-6100.00,USD,2026-03-02T09:00:00Z',
        'rl1,ACC-RM3,,,7012.34,USD,2026-03-01T10:00:00Z',
        'rl2,ACC-RM3,,,-7000.01,USD,2026-03-04T10:00:00Z',
        // sanctions: a listed name reordered and lower-cased; a similar but different name does not hit
        'sa1,ACC-SA,,daniel MORENO,50.00,USD,2026-03-01T10:00:00Z',
        'sa2,ACC-SA,,Daniel Morales,50.00,USD,2026-03-01T10:00:00Z',
      ],
      AML,
    );
    expect(run1).toMatchObject({ status: 'SUCCEEDED', recordsLoaded: '33' });
    const alerts1 = await alertsOf(run1.id);
    expect(alerts1.map((a) => `${a.rule}:${a.txn_id}`)).toEqual([
      'HIGH_RISK_JURISDICTION:hr1',
      'LARGE_TRANSACTION:lg1',
      'LARGE_TRANSACTION:lg3',
      'RAPID_MOVEMENT:rm2',
      'ROUND_AMOUNT:lg1',
      'ROUND_AMOUNT:ro1',
      'SANCTIONS:sa1',
      'VELOCITY:ve4',
    ]);
    expect(alerts1.every((a) => a.status === 'OPEN' && a.score > 0)).toBe(true);
    expect(alerts1.find((a) => a.txn_id === 'lg3' && a.rule === 'LARGE_TRANSACTION')?.evidence).toMatchObject({
      currency: 'EUR',
      usdEquivalent: '10044.00',
      thresholdUsd: '10000',
    });
    expect(alerts1.find((a) => a.rule === 'SANCTIONS')?.evidence).toMatchObject({
      matchedName: 'MORENO, Daniel',
      entryId: '15102',
      screenedName: 'daniel MORENO',
    });
    expect(alerts1.find((a) => a.rule === 'HIGH_RISK_JURISDICTION')?.evidence).toEqual({
      field: 'counterparty_account',
      country: 'IR',
    });

    // run 2 (another file, another day): the third amount under the threshold completes the pattern
    const run2 = await load(
      'aml-2',
      ['st3,ACC-ST,,,9100.00,USD,2026-03-03T08:00:00Z', 'ok1,ACC-OK,,,15.00,USD,2026-03-03T08:00:00Z'],
      AML,
    );
    expect(run2.status).toBe('SUCCEEDED');
    const alerts2 = await alertsOf(run2.id);
    expect(alerts2.map((a) => `${a.rule}:${a.txn_id}`)).toEqual(['STRUCTURING:st3']);
    expect(alerts2[0]?.evidence).toMatchObject({
      count: 3,
      transactions: ['aml-test:st1', 'aml-test:st2', 'aml-test:st3'],
    });

    // the batch audit entries carry the alert counts
    const [{ n }] = await ds.query(
      `SELECT count(*)::int AS n FROM immutable_audit_log WHERE action = 'batch:committed' AND subject->>'runId' = $1 AND details ? 'alerts'`,
      [run1.id],
    );
    expect(n).toBeGreaterThan(0);
    // and, summed over the run's batches, they are the alerts the run raised, rule by rule
    const counted = await ds.query(
      `SELECT e.key AS rule, sum(e.value::int)::int AS n
         FROM immutable_audit_log l CROSS JOIN LATERAL jsonb_each_text(l.details->'alerts') e
        WHERE l.action = 'batch:committed' AND l.subject->>'runId' = $1 GROUP BY e.key ORDER BY e.key`,
      [run1.id],
    );
    expect(counted).toEqual(
      await ds.query(
        'SELECT rule, count(*)::int AS n FROM compliance_alerts WHERE run_id = $1 GROUP BY rule ORDER BY rule',
        [run1.id],
      ),
    );
    expect(counted.length).toBeGreaterThanOrEqual(6);

    // checking the same rows again raises nothing new (a resumed or replayed batch)
    const runner = ds.createQueryRunner();
    await runner.connect();
    try {
      const again = await runComplianceChecks(
        pgClientOf(runner),
        {
          aml: resolveAmlConfig({ velocity: { maxCount: 3 } }),
          sanctions: { screener: screening.screener as SanctionsIndex, threshold: 0.9 },
        },
        // the whole sink (a range of ids need only cover the batch's rows)
        { runId: run1.id, jobId: run1.jobId, lo: '0', hi: '9223372036854775807' },
        1,
        33,
        [],
      );
      expect(again).toEqual({});
    } finally {
      await runner.release();
    }

    // screening that failed ahead of the commit (its breaker open then) is done again at the commit, and so is
    // screening done ahead with lists replaced since (another screener) or at another threshold
    const sa1 = canonicalTxn(32, {
      raw: 'sa1',
      txnId: 'sa1',
      account: 'ACC-SA',
      counterpartyName: 'daniel MORENO',
      amount: { decimal: '50.00', minor: 5000n },
    });
    const failedAhead = Promise.reject(new BreakerOpenError('sanctions-screening'));
    failedAhead.catch(() => undefined);
    const screener = screening.screener as SanctionsIndex;
    const replaced = new SanctionsIndex([]); // an empty list: it finds no hit
    const checkedWith = (screened: ScreenedAhead) =>
      rolledBack(async (q) => {
        await q.query(`DELETE FROM compliance_alerts WHERE run_id = $1 AND rule = 'SANCTIONS'`, [run1.id]);
        return runComplianceChecks(
          pgClientOf(q),
          { sanctions: { screener, threshold: 0.9 } },
          { runId: run1.id, jobId: run1.jobId, lo: '0', hi: '9223372036854775807' },
          32,
          32,
          [sa1],
          true,
          { candidates: null, clustered: [], highRisk: [], screened },
        );
      });
    const noHits = async () => new Map([['daniel MORENO', null]]);
    expect(await checkedWith({ screener, threshold: 0.9, names: failedAhead })).toEqual({ SANCTIONS: 1 });
    expect(await checkedWith({ screener: replaced, threshold: 0.9, names: noHits() })).toEqual({ SANCTIONS: 1 });
    expect(await checkedWith({ screener, threshold: 0.95, names: noHits() })).toEqual({ SANCTIONS: 1 });
    // and answers made ahead with the commit's own screener and threshold are what the commit uses
    expect(await checkedWith({ screener, threshold: 0.9, names: noHits() })).toEqual({});
  }, 60_000);

  it('reads the history of AML-monitored rows only: a feed loaded without AML adds none', async () => {
    // a job without AML loads three transactions of an account within the hour, and two just under the threshold
    const plain = await load(
      'aml-mix-plain',
      [
        'mx1,ACC-MIX,,,10.00,USD,2026-04-01T10:00:00Z',
        'mx2,ACC-MIX,,,10.00,USD,2026-04-01T10:10:00Z',
        'mx3,ACC-MIX,,,10.00,USD,2026-04-01T10:20:00Z',
        'ms1,ACC-MIX,,,9500.00,USD,2026-04-02T09:00:00Z',
        'ms2,ACC-MIX,,,9600.00,USD,2026-04-02T10:00:00Z',
      ],
      '{ frameworks: [SOX] }',
    );
    expect(plain.status).toBe('SUCCEEDED');
    // an AML job's fourth transaction within that hour, and a third one in the band: no history, no alert
    const first = await load(
      'aml-mix-1',
      ['mx4,ACC-MIX,,,10.00,USD,2026-04-01T10:30:00Z', 'ms3,ACC-MIX,,,9700.00,USD,2026-04-02T11:00:00Z'],
      AML,
    );
    expect((await alertsOf(first.id)).filter((a) => a.rule !== 'LARGE_TRANSACTION')).toEqual([]);
    // monitored rows are history: three more within the hour (five monitored in all) fire velocity
    const second = await load(
      'aml-mix-2',
      [
        'mx5,ACC-MIX,,,10.00,USD,2026-04-01T10:35:00Z',
        'mx6,ACC-MIX,,,10.00,USD,2026-04-01T10:40:00Z',
        'mx7,ACC-MIX,,,10.00,USD,2026-04-01T10:45:00Z',
      ],
      AML,
    );
    expect((await alertsOf(second.id)).map((a) => a.rule)).toContain('VELOCITY');
    const flags = (await ds.query(
      `SELECT aml_monitored AS m, count(*)::int AS n FROM transactions WHERE txn_id LIKE 'm%' AND account = 'ACC-MIX' GROUP BY 1 ORDER BY 1`,
    )) as { m: boolean; n: number }[];
    expect(flags).toEqual([
      { m: false, n: 5 },
      { m: true, n: 5 },
    ]);
  });

  it('raises a KYC alert for accounts without valid KYC at booking time', async () => {
    await ds.query(`INSERT INTO kyc_customers (account, customer_id, status, expires_at) VALUES
      ('ACC-K1', 'C1', 'VERIFIED', NULL), ('ACC-K2', 'C2', 'VERIFIED', '2026-02-01T00:00:00Z'), ('ACC-K3', 'C3', 'PENDING', NULL), ('ACC-K5', 'C5', 'VERIFIED', '2027-01-01T00:00:00Z')`);
    const run = await load(
      'kyc-1',
      [
        'k1,ACC-K1,,,10.00,USD,2026-03-01T10:00:00Z',
        'k2,ACC-K2,,,10.00,USD,2026-03-01T10:00:00Z',
        'k3,ACC-K3,,,10.00,USD,2026-03-01T10:00:00Z',
        'k4,ACC-K4,,,10.00,USD,2026-03-01T10:00:00Z',
        'k5,ACC-K5,,,10.00,USD,2026-03-01T10:00:00Z',
      ],
      '{ frameworks: [KYC] }',
    );
    const alerts = await alertsOf(run.id);
    expect(alerts.map((a) => [a.txn_id, a.evidence['kycStatus']])).toEqual([
      ['k2', 'EXPIRED'], // verified, but expired before the booking
      ['k3', 'PENDING'],
      ['k4', 'MISSING'],
    ]);
  });

  it('holds transactions of accounts without valid KYC in the DLQ under the hold policy, and loads them on replay once verified', async () => {
    const run = await load(
      'kyc-hold',
      [
        'h1,ACC-K1,10.00,USD,2026-03-01T10:00:00Z',
        'h2,ACC-H2,10.00,USD,2026-03-01T10:00:00Z',
        'h3,ACC-K3,10.00,USD,2026-03-01T10:00:00Z',
      ].map((r) => r.replace(/^(\w+),(ACC-\w+),/, '$1,$2,,,')),
      '{ frameworks: [KYC], kycPolicy: hold }',
      1,
    );
    expect(run).toMatchObject({ status: 'SUCCEEDED', recordsRead: '3', recordsLoaded: '1', recordsDeadLettered: '2' });
    const dlq = (await ds.query(
      `SELECT id, record_no::int AS no, reason_code, reason_message FROM dead_letter_queue WHERE run_id = $1 ORDER BY record_no`,
      [run.id],
    )) as { id: string; no: number; reason_code: string; reason_message: string }[];
    expect(dlq.map((d) => [d.no, d.reason_code])).toEqual([
      [2, 'KYC_HOLD'],
      [3, 'KYC_HOLD'],
    ]);
    expect(dlq[0]?.reason_message).toMatch(/no valid KYC \(MISSING\)/);
    expect(await alertsOf(run.id)).toEqual([]); // held, not alerted
    // ACC-H2's KYC is verified now: its entry loads on replay; ACC-K3 (still PENDING) stays held
    await ds.query(`INSERT INTO kyc_customers (account, customer_id, status) VALUES ('ACC-H2', 'C-H2', 'VERIFIED')`);
    const outcomes = await replayDeadLetters(
      ctx(),
      { ids: dlq.map((d) => d.id), corrections: new Map() },
      'user:kyc-officer',
    );
    expect(outcomes.map((o) => [o.id, o.outcome, o.reasonCode ?? ''])).toEqual([
      [dlq[0]?.id, 'LOADED', ''],
      [dlq[1]?.id, 'STILL_FAILING', 'KYC_HOLD'],
    ]);
  });

  it('refuses to run a job that declares AML when no sanctions list is loaded', async () => {
    const file = writeTempFile(dir, 'nolist.csv', `${HEADER}\nx1,ACC-X,,,1.00,USD,2026-03-01T10:00:00Z\n`);
    const { job: saved } = await saveJob(ds, parseJobDefinition(job('aml-nolist', file, '{ frameworks: [AML] }')));
    const j = await getJob(ds, saved.id);
    const { run } = await createRun(ds, j);
    const after = await executeRun(
      { ...ctx(), screening: { threshold: 0.9 } },
      run,
      j,
      new RunControl(),
      () => undefined,
    );
    expect(after).toMatchObject({ status: 'FAILED', errorCode: 'FAILED_PRECONDITION' });
    expect(after.errorMessage).toMatch(/no sanctions list is loaded.*STRONGROOM_SANCTIONS_LISTS.*sanctions: off/);
  });

  it('writes the alerts decided by the row alone by one COPY, the same as the rules’ statements raise, and falls back to the statements when one exists already', async () => {
    // amounts around the thresholds in currencies of 0, 2 and 3 decimals, rates of several decimals, a threshold
    // with cents, multiples of 250, debits; a txn_id given twice (its second row is not loaded); a high-risk IBAN
    const overrides = {
      largeTransactionUsd: '10000.50',
      roundAmount: { minAmount: '2500', multipleOf: '250' },
      fxToUsd: { USD: '1', EUR: '1.0837', JPY: '0.00671', KWD: '3.2545' },
    };
    const amounts: Record<string, string[]> = {
      USD: ['10000.50', '10000.49', '-10000.50', '2500.00', '2750.00', '2600.00', '12345.67', '250.00', '-3000.00'],
      EUR: ['9228.11', '9228.10', '-9228.11', '5000.00', '5000.01', '10000.00'],
      JPY: ['1490387', '1490388', '-1490388', '2500', '1490500', '2490'],
      KWD: ['3072.823', '3072.822', '-3072.823', '2750.000', '2750.250', '3073.000'],
    };
    const rows = Object.entries(amounts).flatMap(([currency, list]) =>
      list.map((a, i) => `rr-${currency}-${i},ACC-RR${i % 3},,,${a},${currency},2026-05-0${1 + (i % 5)}T10:00:00Z`),
    );
    rows.push(
      'rr-dup,ACC-RR9,,,20000.00,USD,2026-05-01T10:00:00Z',
      'rr-dup,ACC-RR9,,,30000.00,USD,2026-05-01T11:00:00Z',
    );
    rows.push('rr-hr,ACC-RR8,IR062960000000100324200001,,25.00,USD,2026-05-01T10:00:00Z');
    const compliance = `{ frameworks: [AML], sanctions: off, aml: ${JSON.stringify(overrides)} }`;
    const run = await load('row-rules', rows, compliance, 0.5);
    expect(run).toMatchObject({
      status: 'SUCCEEDED',
      recordsLoaded: String(rows.length - 1),
      recordsDeadLettered: '1',
    });
    const ROW_RULES = ['LARGE_TRANSACTION', 'ROUND_AMOUNT', 'HIGH_RISK_JURISDICTION'];
    const COLS = 'rule, dedupe_key, score, status, source_system, txn_id, account, booked_at, job_id, run_id, evidence';
    const alertsOfRun = (q: { query: (sql: string, params: unknown[]) => Promise<unknown> }) =>
      q.query(
        `SELECT ${COLS} FROM compliance_alerts WHERE run_id = $1 AND rule IN ('LARGE_TRANSACTION', 'ROUND_AMOUNT', 'HIGH_RISK_JURISDICTION')
          ORDER BY rule, dedupe_key`,
        [run.id],
      ) as Promise<{ rule: string; txn_id: string }[]>;
    const loaded = await alertsOfRun(ds);
    const pickRowRules = (raised: Record<string, number>) =>
      Object.fromEntries(Object.entries(raised).filter(([rule]) => ROW_RULES.includes(rule)));
    const rulesOf = (alerts: { rule: string; txn_id: string }[]) =>
      alerts.reduce<Record<string, number>>((n, a) => ({ ...n, [a.rule]: (n[a.rule] ?? 0) + 1 }), {});
    expect(rulesOf(loaded)).toEqual({ LARGE_TRANSACTION: 13, ROUND_AMOUNT: 9, HIGH_RISK_JURISDICTION: 1 });
    // the txn_id given twice raises each rule once, for its loaded row (20,000.00)
    expect(loaded.filter((a) => a.txn_id === 'rr-dup')).toEqual(
      ['LARGE_TRANSACTION', 'ROUND_AMOUNT'].map((rule) =>
        expect.objectContaining({ rule, evidence: expect.objectContaining({ amount: '20000.00' }) }),
      ),
    );

    // the same alerts as the rules' statements raise over the run's rows
    const config = resolveAmlConfig(overrides);
    const [lo, hi] = await idsOfRun(ds, run.id);
    const perRow = AML_RULES.filter((r) => r.rule === 'LARGE_TRANSACTION' || r.rule === 'ROUND_AMOUNT');
    const byStatements = await rolledBack(async (q) => {
      await q.query(
        `DELETE FROM compliance_alerts WHERE run_id = $1 AND rule IN ('LARGE_TRANSACTION', 'ROUND_AMOUNT')`,
        [run.id],
      );
      for (const rule of perRow)
        await q.query(rule.sql, [run.id, 1, rows.length, run.jobId, JSON.stringify(config), lo, hi, null]);
      return alertsOfRun(q);
    });
    expect(byStatements).toEqual(loaded);

    // the commit's own path, its statements recorded: by COPY; and when some of the alerts exist already (a
    // transaction loaded again after retention removed it), by the statements, which raise the others
    const stored = (await ds.query(
      `SELECT source_record_no::int AS no, txn_id, account, amount::text AS amount, currency, ${BOOKED_ISO('booked_at')} AS booked,
              counterparty_account FROM transactions WHERE run_id = $1 ORDER BY source_record_no`,
      [run.id],
    )) as {
      no: number;
      txn_id: string;
      account: string;
      amount: string;
      currency: string;
      booked: string;
      counterparty_account: string | null;
    }[];
    const batch = stored.map((r) =>
      canonicalTxn(r.no, {
        txnId: r.txn_id,
        account: r.account,
        counterpartyAccount: r.counterparty_account,
        amount: { decimal: r.amount, minor: BigInt(r.amount.replace('.', '')) },
        currency: r.currency,
        bookedAt: r.booked,
      }),
    );
    // a row of the batch that did not load raises nothing
    const notLoaded = canonicalTxn(rows.length + 1, {
      txnId: 'rr-not-loaded',
      amount: { decimal: '50000.00', minor: 5000000n },
    });
    await rolledBack(async (q) => {
      const client = pgClientOf(q);
      const sent: string[] = [];
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        const a = args[0] as string | { text?: string };
        sent.push(typeof a === 'string' ? a : (a.text ?? ''));
        return query(...args);
      };
      // the rules decided by the row alone (the pattern rules may raise more: they see the whole run at once here)
      const check = async () =>
        pickRowRules(
          await runComplianceChecks(
            client,
            { aml: config },
            { runId: run.id, jobId: run.jobId, lo, hi, sourceSystem: 'aml-test' },
            1,
            rows.length + 1,
            [...batch, notLoaded],
            true,
            undefined,
            new Set([notLoaded.recordNo]),
          ),
        );
      await q.query(
        `DELETE FROM compliance_alerts WHERE run_id = $1 AND rule IN ('LARGE_TRANSACTION', 'ROUND_AMOUNT', 'HIGH_RISK_JURISDICTION')`,
        [run.id],
      );
      expect(await check()).toEqual(rulesOf(loaded));
      expect(await alertsOfRun(q)).toEqual(loaded);
      expect(sent.filter((t) => t.startsWith('COPY compliance_alerts'))).toHaveLength(1);
      expect(sent.filter((t) => perRow.some((r) => r.sql === t))).toEqual([]);

      // every other alert removed: the COPY meets the others, so the statements raise the removed ones
      sent.length = 0;
      await q.query(
        `DELETE FROM compliance_alerts WHERE id IN (SELECT id FROM (SELECT id, row_number() OVER (ORDER BY rule, dedupe_key) AS i
           FROM compliance_alerts WHERE run_id = $1 AND rule IN ('LARGE_TRANSACTION', 'ROUND_AMOUNT', 'HIGH_RISK_JURISDICTION')) n WHERE i % 2 = 1)`,
        [run.id],
      );
      const removed = rulesOf(loaded.filter((_, i) => i % 2 === 0));
      expect(await check()).toEqual(removed);
      expect(await alertsOfRun(q)).toEqual(loaded);
      expect(sent).toContain('ROLLBACK TO SAVEPOINT strongroom_alerts');
      expect(sent.filter((t) => perRow.some((r) => r.sql === t))).toHaveLength(2);
    });

    // through a run: a transaction loaded again after retention removed it, whose alerts are still there — its
    // batch commits once, with the other row's alerts; nothing is raised twice
    const again = await load('row-rules-again', ['rr-again-1,ACC-RA,,,25000.00,USD,2026-05-01T10:00:00Z'], compliance);
    expect(again.status).toBe('SUCCEEDED');
    // its row removed as the retention purge removes it (its alert stays)
    await ds.query('DELETE FROM transactions WHERE run_id = $1', [again.id]);
    const reloaded = await load(
      'row-rules-again-2',
      [
        'rr-again-1,ACC-RA,,,25000.00,USD,2026-05-01T10:00:00Z',
        'rr-again-2,ACC-RA,,,26000.00,USD,2026-05-02T10:00:00Z',
      ],
      compliance,
      0,
      '{ minSize: 2, maxSize: 2 }',
    );
    expect(reloaded).toMatchObject({ status: 'SUCCEEDED', recordsLoaded: '2', batchesCommitted: 1 });
    expect((await alertsOf(reloaded.id)).map((a) => `${a.rule}:${a.txn_id}`)).toEqual([
      'LARGE_TRANSACTION:rr-again-2',
      'ROUND_AMOUNT:rr-again-2',
    ]);
    expect((await alertsOf(again.id)).map((a) => `${a.rule}:${a.txn_id}`)).toEqual([
      'LARGE_TRANSACTION:rr-again-1',
      'ROUND_AMOUNT:rr-again-1',
    ]);
  }, 60_000);

  it('raises exactly the alerts of a full scan when the database reads only the candidate rows', async () => {
    // one batch of 800 rows, half around every threshold, in currencies with and without a USD rate; then the
    // rule statements again over the whole batch without the candidate list: the same alerts
    const amounts = [
      '10000.00',
      '9999.99',
      '9000.00',
      '8999.99',
      '5000.00',
      '4999.99',
      '4629.63',
      '4629.62',
      '-5000.00',
      '-4999.99',
      '6000.00',
      '12345.67',
      '1.00',
    ];
    const currencies: [string, (a: string) => string][] = [
      ['USD', (a) => a],
      ['EUR', (a) => a],
      ['CHF', (a) => a],
      ['JPY', (a) => a.replace('.', '').replace(/^(-?)0+(?=\d)/, '$1')],
      ['KWD', (a) => `${a}0`],
      ['PLN', (a) => a], // no USD rate: only the round-amount rule applies
    ];
    const rows: string[] = [];
    for (let i = 0; rows.length < 800; i++) {
      const [cur, fmt] = currencies[i % currencies.length] as [string, (a: string) => string];
      const at = `2026-04-0${1 + (i % 3)}T1${i % 2}:${String(i % 60).padStart(2, '0')}:00Z`;
      rows.push(`cand${i},ACC-C${i % 7},,,${fmt(amounts[i % amounts.length] as string)},${cur},${at}`);
      // and a row far below every threshold: the candidates are under half the batch, so the list is sent
      rows.push(`small${i},ACC-C${i % 7},,,${fmt('12.34')},${cur},${at}`);
    }
    const run = await load(
      'aml-candidates',
      rows,
      `{ frameworks: [AML], sanctions: off, aml: { velocity: { windowHours: 1, maxCount: 3 } } }`,
      0,
      '{ minSize: 1000, maxSize: 1000 }',
    );
    expect(run).toMatchObject({ status: 'SUCCEEDED', recordsLoaded: '800', batchesCommitted: 1 });
    const prefiltered = await alertsOf(run.id);
    // the batch's audit entry counts them, rule by rule (a statement raises many)
    const [{ details }] = await ds.query(
      `SELECT details FROM immutable_audit_log WHERE action = 'batch:committed' AND subject->>'runId' = $1`,
      [run.id],
    );
    const byRule: Record<string, number> = {};
    for (const a of prefiltered) byRule[a.rule] = (byRule[a.rule] ?? 0) + 1;
    expect(details.alerts).toEqual(byRule);
    expect(Math.max(...Object.values(byRule))).toBeGreaterThan(1);
    expect(new Set(prefiltered.map((a) => a.rule))).toEqual(
      new Set(['LARGE_TRANSACTION', 'STRUCTURING', 'ROUND_AMOUNT', 'RAPID_MOVEMENT', 'VELOCITY']),
    );
    // the prefilter did leave rows out (else this comparison would prove nothing)
    const { rows: stored, candidates: kept } = await candidatesOfRun(
      ds,
      run.id,
      resolveAmlConfig({ velocity: { windowHours: 1, maxCount: 3 } }),
    );
    expect(kept?.length).toBeGreaterThan(50);
    expect(kept?.length).toBeLessThan(stored - 50);
    // at most half the batch: the list is sent (with more, the batch is read whole: prepareAmlInputs)
    expect((kept?.length ?? 0) * 2).toBeLessThanOrEqual(stored);
    const q = ds.createQueryRunner();
    await q.connect();
    try {
      await q.query('BEGIN');
      await q.query('DELETE FROM compliance_alerts WHERE run_id = $1', [run.id]);
      const config = JSON.stringify(resolveAmlConfig({ velocity: { windowHours: 1, maxCount: 3 } }));
      for (const rule of AML_RULES)
        await q.query(rule.sql, [
          run.id,
          1,
          800,
          run.jobId,
          config,
          '0',
          '9223372036854775807',
          ...(rule.candidates || rule.clustered ? [null] : []),
        ]);
      const full = (await q.query(
        'SELECT rule, txn_id, score, status, evidence FROM compliance_alerts WHERE run_id = $1 ORDER BY rule, txn_id',
        [run.id],
      )) as typeof prefiltered;
      await q.query('ROLLBACK');
      expect(prefiltered.length).toBeGreaterThan(50);
      expect(prefiltered).toEqual(full);
    } finally {
      await q.release();
    }
  });

  it('on a DLQ replay, re-checks the rows loaded earlier in the replayed span (no candidate prefilter there)', async () => {
    // rec 2, a credit, is dead-lettered (bad currency); rec 3, a debit of the same amount an hour later, loads.
    // Replaying recs 2 and 4 corrected loads the credit: the debit, loaded before and between them, is now
    // money in and out again (RAPID_MOVEMENT on rec 3)
    const run = await load(
      'aml-replay',
      [
        'rp1,ACC-RP0,,,1.00,USD,2026-05-01T08:00:00Z',
        'rp2,ACC-RP,,,9000.00,XXQ,2026-05-01T09:00:00Z',
        'rp3,ACC-RP,,,-9000.00,USD,2026-05-01T10:00:00Z',
        'rp4,ACC-RP0,,,2.00,XXQ,2026-05-01T11:00:00Z',
      ],
      '{ frameworks: [AML], sanctions: off }',
      1,
    );
    expect(run).toMatchObject({ status: 'SUCCEEDED', recordsLoaded: '2', recordsDeadLettered: '2' });
    expect((await alertsOf(run.id)).filter((a) => a.rule === 'RAPID_MOVEMENT')).toEqual([]);
    const dlq = (await ds.query(
      'SELECT id, record_no::int AS no FROM dead_letter_queue WHERE run_id = $1 ORDER BY record_no',
      [run.id],
    )) as { id: string; no: number }[];
    const corrections = new Map([
      [dlq[0]?.id as string, 'rp2,ACC-RP,,,9000.00,USD,2026-05-01T09:00:00Z'],
      [dlq[1]?.id as string, 'rp4,ACC-RP0,,,2.00,USD,2026-05-01T11:00:00Z'],
    ]);
    const outcomes = await replayDeadLetters(ctx(), { ids: dlq.map((d) => d.id), corrections }, 'user:ops');
    expect(outcomes.map((o) => o.outcome)).toEqual(['LOADED', 'LOADED']);
    expect((await alertsOf(run.id)).filter((a) => a.rule === 'RAPID_MOVEMENT').map((a) => a.txn_id)).toEqual(['rp3']);
  });

  it('raises the VELOCITY alerts of a probe per row, set-based for an account with many rows in a window', async () => {
    // the statement before the set-based one, kept here as the reference: each row probes its own window (its
    // alert per account window is the first breaching row by booking time, then id, as the rule's is)
    const PROBE_PER_ROW = `WITH
      b AS (SELECT t.* FROM transactions t WHERE t.id BETWEEN $6 AND $7 AND t.run_id = $1 AND t.source_record_no BETWEEN $2 AND $3),
      c AS (SELECT ($5::jsonb #>> '{velocity,windowHours}')::numeric AS hours, ($5::jsonb #>> '{velocity,maxCount}')::int AS max_count,
                   ($5::jsonb #>> '{velocity,maxAmountUsd}')::numeric AS max_usd)
      INSERT INTO compliance_alerts (rule, dedupe_key, score, source_system, txn_id, account, booked_at, job_id, run_id, evidence)
      SELECT 'VELOCITY', 'acct:' || coalesce(b.account_bidx, b.account) || ':' || floor(extract(epoch FROM b.booked_at) / (c.hours * 3600))::bigint,
             50, b.source_system, b.txn_id, b.account, b.booked_at, $4, $1,
             jsonb_build_object('count', w.n, 'maxCount', c.max_count, 'totalUsd', round(w.total, 2)::text, 'maxAmountUsd', c.max_usd::text, 'windowHours', c.hours)
        FROM b CROSS JOIN c
        CROSS JOIN LATERAL (
          SELECT count(*) AS n, coalesce(sum(abs(h.amount) * (($5::jsonb -> 'fxToUsd') ->> h.currency)::numeric), 0) AS total
            FROM transactions h
           WHERE h.aml_monitored AND coalesce(h.account_bidx, h.account) = coalesce(b.account_bidx, b.account)
             AND h.booked_at > b.booked_at - make_interval(secs => c.hours * 3600) AND h.booked_at <= b.booked_at) w
       WHERE w.n > c.max_count OR w.total > c.max_usd
       ORDER BY b.booked_at, b.id
      ON CONFLICT (rule, dedupe_key) DO NOTHING`;
    const aml = `{ velocity: { windowHours: 1, maxCount: 4, maxAmountUsd: "20000" } }`;
    // history: an earlier run on the busy account, and a feed without AML on it (not monitored: never counted)
    const before = await load(
      'vel-history',
      [
        'vh1,ACC-BUSY,,,100.00,USD,2026-06-01T09:30:00Z',
        'vh2,ACC-BUSY,,,15000.00,EUR,2026-06-01T09:59:59.999999Z',
        'vh3,ACC-BUSY,,,100.00,USD,2026-06-01T08:59:00Z',
      ],
      `{ frameworks: [AML], sanctions: off, aml: ${aml} }`,
    );
    expect(before.status).toBe('SUCCEEDED');
    const unmonitored = await load(
      'vel-unmonitored',
      Array.from({ length: 12 }, (_, i) => `vu${i},ACC-BUSY,,,5000.00,USD,2026-06-01T10:0${i % 10}:00Z`),
      '{ frameworks: [SOX] }',
    );
    expect(unmonitored.status).toBe('SUCCEEDED');
    // the run: a busy account (rows seconds apart, some at the same time, some exactly a window apart, a microsecond
    // inside it), accounts with a row now and then, a currency without a USD rate, and a quiet account
    const rows: string[] = [];
    const stamp = (ms: number, micros = 0) =>
      new Date(Date.UTC(2026, 5, 1, 10) + ms)
        .toISOString()
        .replace(
          /\.\d{3}Z$/,
          `.${String(((ms % 1000) + 1000) % 1000).padStart(3, '0')}${String(micros).padStart(3, '0')}Z`,
        );
    for (let i = 0; i < 60; i++)
      rows.push(`vb${i},ACC-BUSY,,,${(100 + i * 37).toFixed(2)},${i % 5 === 0 ? 'PLN' : 'USD'},${stamp(i * 45_000)}`);
    rows.push(`vbsame1,ACC-BUSY,,,1.00,USD,${stamp(10 * 45_000)}`, `vbsame2,ACC-BUSY,,,1.00,USD,${stamp(10 * 45_000)}`);
    rows.push(
      `vbedge1,ACC-BUSY,,,1.00,USD,${stamp(3_600_000 - 1, 999)}`,
      `vbedge2,ACC-BUSY,,,1.00,USD,${stamp(3_600_000 + 30 * 45_000)}`,
    );
    for (let i = 0; i < 40; i++)
      rows.push(`vs${i},ACC-S${i % 8},,,${i % 3 === 0 ? '25000.00' : '12.00'},EUR,${stamp(i * 1_800_000)}`);
    rows.push('vq1,ACC-QUIET,,,5.00,USD,2026-06-03T00:00:00Z');
    const run = await load(
      'vel-run',
      rows,
      `{ frameworks: [AML], sanctions: off, aml: ${aml} }`,
      0,
      '{ minSize: 7, maxSize: 7 }',
    );
    expect(run).toMatchObject({ status: 'SUCCEEDED', recordsLoaded: String(rows.length) });
    const config = JSON.stringify(
      resolveAmlConfig({ velocity: { windowHours: 1, maxCount: 4, maxAmountUsd: '20000' } }),
    );
    const velocity = AML_RULES.find((r) => r.rule === 'VELOCITY');
    expect(velocity?.clustered).toBe(true);
    const all = (await ds.query('SELECT source_record_no::int AS no FROM transactions WHERE run_id = $1', [
      run.id,
    ])) as { no: number }[];
    const params = [run.id, 1, rows.length, run.jobId, config, '0', '9223372036854775807'];
    // `keepEvery`: the reference's alerts of every `keepEvery`-th window are there first (an earlier batch raised them)
    const alertsWith = (sql: string, extra: unknown[], keepEvery?: number) =>
      ruleAlertsOf(
        'VELOCITY',
        sql,
        [...params, ...extra],
        keepEvery ? { sql: PROBE_PER_ROW, params, every: keepEvery } : undefined,
      );
    const reference = await alertsWith(PROBE_PER_ROW, []);
    // the busy account breaches in several windows; the history and the microsecond edges count as the probe counts them
    expect(reference.length).toBeGreaterThanOrEqual(3);
    expect(reference.some((a: { txn_id: string }) => a.txn_id.startsWith('vs'))).toBe(true);
    // every row set-based, every row probed, a row in three set-based: the same alerts
    expect(await alertsWith(velocity?.sql as string, [null])).toEqual(reference);
    expect(await alertsWith(velocity?.sql as string, [[]])).toEqual(reference);
    expect(await alertsWith(velocity?.sql as string, [all.filter((r) => r.no % 3 === 0).map((r) => r.no)])).toEqual(
      reference,
    );
    // and what the engine lists (its own split of the batch) gives them too
    const clustered = velocityClustered(
      rows.map((r, i) => ({
        recordNo: i + 1,
        account: r.split(',')[1] as string,
        bookedAt: r.split(',')[6] as string,
      })),
      1,
    );
    expect(clustered.length).toBeGreaterThan(40);
    expect(clustered).not.toContain(rows.length); // the quiet account's one row is probed
    expect(await alertsWith(velocity?.sql as string, [clustered])).toEqual(reference);
    // windows already alerted (their rows are not worked again) leave the others' alerts as they were
    expect(await alertsWith(velocity?.sql as string, [null], 2)).toEqual(reference);
    expect(await alertsWith(velocity?.sql as string, [clustered], 3)).toEqual(reference);
  });

  it('raises the STRUCTURING alerts of a probe per row, set-based, whichever windows are already alerted', async () => {
    // the statement before the set-based one, kept here as the reference: each row in the band probes its own
    // window (its alert per account window is the first breaching row by booking time, then id, as the rule's is)
    const PROBE_PER_ROW = `WITH
      b AS (SELECT t.*, (($5::jsonb -> 'fxToUsd') ->> t.currency)::numeric AS rate
              FROM transactions t WHERE t.id BETWEEN $6 AND $7 AND t.run_id = $1 AND t.source_record_no BETWEEN $2 AND $3
               AND ($8::bigint[] IS NULL OR t.source_record_no = ANY($8::bigint[]))),
      c AS (SELECT ($5::jsonb ->> 'largeTransactionUsd')::numeric AS th,
                   ($5::jsonb ->> 'largeTransactionUsd')::numeric * (1 - ($5::jsonb #>> '{structuring,bandPercent}')::numeric / 100) AS lo,
                   ($5::jsonb #>> '{structuring,windowHours}')::numeric AS hours,
                   ($5::jsonb #>> '{structuring,minCount}')::int AS min_count)
      INSERT INTO compliance_alerts (rule, dedupe_key, score, source_system, txn_id, account, booked_at, job_id, run_id, evidence)
      SELECT 'STRUCTURING', 'acct:' || coalesce(b.account_bidx, b.account) || ':' || floor(extract(epoch FROM b.booked_at) / (c.hours * 3600))::bigint,
             75, b.source_system, b.txn_id, b.account, b.booked_at, $4, $1,
             jsonb_build_object('count', w.n, 'windowHours', c.hours, 'totalUsd', round(w.total, 2)::text,
                                'bandUsd', jsonb_build_array(round(c.lo, 2)::text, c.th::text), 'transactions', w.ids)
        FROM b CROSS JOIN c
        CROSS JOIN LATERAL (
          SELECT count(*) AS n, sum(abs(h.amount) * hr.rate) AS total,
                 to_jsonb((array_agg(h.source_system || ':' || h.txn_id ORDER BY h.booked_at, h.id))[1:20]) AS ids
            FROM transactions h CROSS JOIN LATERAL (SELECT (($5::jsonb -> 'fxToUsd') ->> h.currency)::numeric AS rate) hr
           WHERE h.aml_monitored AND coalesce(h.account_bidx, h.account) = coalesce(b.account_bidx, b.account)
             AND h.booked_at > b.booked_at - make_interval(secs => c.hours * 3600) AND h.booked_at <= b.booked_at
             AND hr.rate IS NOT NULL AND abs(h.amount) * hr.rate >= c.lo AND abs(h.amount) * hr.rate < c.th) w
       WHERE b.rate IS NOT NULL AND abs(b.amount) * b.rate >= c.lo AND abs(b.amount) * b.rate < c.th AND w.n >= c.min_count
       ORDER BY b.booked_at, b.id
      ON CONFLICT (rule, dedupe_key) DO NOTHING`;
    const overrides = { structuring: { windowHours: 2, minCount: 3 } };
    const aml = `{ structuring: { windowHours: 2, minCount: 3 } }`;
    // history: an earlier run on the busy account (in the band, one below it), and a feed without AML (never counted)
    const before = await load(
      'st-history',
      [
        'sh1,ACC-SMURF,,,9100.00,USD,2026-07-01T09:30:00Z',
        'sh2,ACC-SMURF,,,9700.00,USD,2026-07-01T09:59:59.999999Z',
        'sh3,ACC-SMURF,,,8000.00,USD,2026-07-01T09:45:00Z',
        'sh4,ACC-LONE,,,9400.00,USD,2026-07-01T11:00:00Z',
        'sh5,ACC-LONE,,,9400.00,USD,2026-07-01T11:30:00Z',
      ],
      `{ frameworks: [AML], sanctions: off, aml: ${aml} }`,
    );
    expect(before.status).toBe('SUCCEEDED');
    const unmonitored = await load(
      'st-unmonitored',
      Array.from({ length: 6 }, (_, i) => `su${i},ACC-QUIETSM,,,9500.00,USD,2026-07-01T10:0${i}:00Z`),
      '{ frameworks: [SOX] }',
    );
    expect(unmonitored.status).toBe('SUCCEEDED');
    const stamp = (ms: number, micros = 0) =>
      new Date(Date.UTC(2026, 6, 1, 10) + ms)
        .toISOString()
        .replace(/\.\d{3}Z$/, `.${String(ms % 1000).padStart(3, '0')}${String(micros).padStart(3, '0')}Z`);
    const rows: string[] = [];
    // the busy account: 50 rows 4 minutes apart (in the band, below it, at the threshold, without a USD rate), more
    // than 20 in a window, two at the same time, one a window after another and one a microsecond inside it
    for (let i = 0; i < 50; i++) {
      const amount = i % 7 === 3 ? '8999.00' : i % 11 === 5 ? '10000.00' : (9000 + ((i * 53) % 1000)).toFixed(2);
      rows.push(`sb${i},ACC-SMURF,,,${amount},${i % 13 === 4 ? 'PLN' : 'USD'},${stamp(i * 240_000)}`);
    }
    rows.push(
      `sbsame1,ACC-SMURF,,,9300.00,USD,${stamp(20 * 240_000)}`,
      `sbsame2,ACC-SMURF,,,9301.00,USD,${stamp(20 * 240_000)}`,
    );
    rows.push(`sbedge1,ACC-EDGE,,,9500.00,USD,${stamp(0)}`, `sbedge2,ACC-EDGE,,,9500.00,USD,${stamp(3_600_000)}`);
    rows.push(
      `sbedge3,ACC-EDGE,,,9500.00,USD,${stamp(7_200_000)}`,
      `sbedge4,ACC-EDGE,,,9500.00,USD,${stamp(7_200_000 - 1, 999)}`,
    );
    // an account whose third row in the band comes from the earlier run's two; a quiet one; the unmonitored feed's
    rows.push(`sl1,ACC-LONE,,,9999.99,USD,${stamp(6_300_000)}`, 'sq1,ACC-QUIETSM,,,9500.00,USD,2026-07-01T10:30:00Z');
    const run = await load(
      'st-run',
      rows,
      `{ frameworks: [AML], sanctions: off, aml: ${aml} }`,
      0,
      '{ minSize: 9, maxSize: 9 }',
    );
    expect(run).toMatchObject({ status: 'SUCCEEDED', recordsLoaded: String(rows.length) });
    const structuring = AML_RULES.find((r) => r.rule === 'STRUCTURING');
    const config = JSON.stringify(resolveAmlConfig(overrides));
    const params = [run.id, 1, rows.length, run.jobId, config, '0', '9223372036854775807', null];
    // `keepEvery`: the reference's alerts of every `keepEvery`-th window are there first (an earlier batch raised them)
    const alertsWith = (sql: string, keepEvery?: number) =>
      ruleAlertsOf(
        'STRUCTURING',
        sql,
        params,
        keepEvery ? { sql: PROBE_PER_ROW, params, every: keepEvery } : undefined,
      );
    const reference = await alertsWith(PROBE_PER_ROW);
    // several windows of the busy account, one listing 20 of its transactions, the edges, the earlier run's history
    expect(reference.length).toBeGreaterThanOrEqual(4);
    const listed = reference.map((a: { evidence: { transactions: string[] } }) => a.evidence.transactions.length);
    expect(Math.max(...listed)).toBe(20);
    expect(reference.some((a: { txn_id: string }) => a.txn_id === 'sl1')).toBe(true);
    expect(reference.some((a: { txn_id: string }) => a.txn_id.startsWith('sbedge'))).toBe(true);
    expect(reference.some((a: { txn_id: string }) => a.txn_id === 'sq1')).toBe(false);
    expect(await alertsWith(structuring?.sql as string)).toEqual(reference);
    expect(await alertsWith(structuring?.sql as string, 2)).toEqual(reference);
    expect(await alertsWith(structuring?.sql as string, 3)).toEqual(reference);
  });

  it('raises the RAPID_MOVEMENT alerts of a probe per debit, whether a debit is settled by its first probe, set-based or by probing on', async () => {
    // the statement before this one, kept here as the reference: each debit probes its window for the latest match
    // (booking time, then id)
    const PROBE_PER_DEBIT = `WITH
      b AS (SELECT t.*, (($5::jsonb -> 'fxToUsd') ->> t.currency)::numeric AS rate
              FROM transactions t WHERE t.id BETWEEN $6 AND $7 AND t.run_id = $1 AND t.source_record_no BETWEEN $2 AND $3
               AND ($8::bigint[] IS NULL OR t.source_record_no = ANY($8::bigint[]))),
      c AS (SELECT ($5::jsonb #>> '{rapidMovement,windowHours}')::numeric AS hours, ($5::jsonb #>> '{rapidMovement,tolerancePercent}')::numeric / 100 AS tol,
                   ($5::jsonb #>> '{rapidMovement,minAmountUsd}')::numeric AS min_usd)
      INSERT INTO compliance_alerts (rule, dedupe_key, score, source_system, txn_id, account, booked_at, job_id, run_id, evidence)
      SELECT 'RAPID_MOVEMENT', 'txn:' || b.source_system || ':' || b.txn_id, 55, b.source_system, b.txn_id, b.account, b.booked_at, $4, $1,
             jsonb_build_object('debit', b.amount::text, 'currency', b.currency, 'credit', m.amount::text, 'creditTransaction', m.key,
                                'minutesBetween', round(extract(epoch FROM b.booked_at - m.booked_at) / 60))
        FROM b CROSS JOIN c
        CROSS JOIN LATERAL (
          SELECT h.amount, h.booked_at, h.source_system || ':' || h.txn_id AS key
            FROM transactions h
           WHERE h.aml_monitored AND coalesce(h.account_bidx, h.account) = coalesce(b.account_bidx, b.account)
             AND h.currency = b.currency AND h.amount > 0
             AND h.booked_at >= b.booked_at - make_interval(secs => c.hours * 3600) AND h.booked_at <= b.booked_at
             AND -b.amount BETWEEN h.amount * (1 - c.tol) AND h.amount * (1 + c.tol)
           ORDER BY h.booked_at DESC, h.id DESC LIMIT 1) m
       WHERE b.amount < 0 AND b.rate IS NOT NULL AND -b.amount * b.rate >= c.min_usd
      ON CONFLICT (rule, dedupe_key) DO NOTHING`;
    const overrides = { rapidMovement: { windowHours: 1, tolerancePercent: 5, minAmountUsd: '100' } };
    const aml = `{ rapidMovement: { windowHours: 1, tolerancePercent: 5, minAmountUsd: "100" } }`;
    const stamp = (ms: number, micros = 0) =>
      new Date(Date.UTC(2026, 7, 1, 10) + ms)
        .toISOString()
        .replace(
          /\.\d{3}Z$/,
          `.${String(((ms % 1000) + 1000) % 1000).padStart(3, '0')}${String(micros).padStart(3, '0')}Z`,
        );
    const min = 60_000;
    // history: an earlier run's credit, and a credit of a feed without AML (never a match)
    const before = await load(
      'rm-history',
      [`rh1,ACC-PAY,,,1000.00,USD,${stamp(-30 * min)}`],
      `{ frameworks: [AML], sanctions: off, aml: ${aml} }`,
    );
    expect(before.status).toBe('SUCCEEDED');
    const unmonitored = await load(
      'rm-unmonitored',
      [`ru1,ACC-PAY,,,7777.00,USD,${stamp(20 * min)}`],
      '{ frameworks: [SOX] }',
    );
    expect(unmonitored.status).toBe('SUCCEEDED');
    const rows: string[] = [
      // an account paying out every minute, paid now and then: two credits at the same time, one in another currency
      `pc1,ACC-PAY,,,2000.00,USD,${stamp(30_000)}`,
      `pc2,ACC-PAY,,,2000.00,USD,${stamp(30_000)}`,
      `pc3,ACC-PAY,,,500.00,EUR,${stamp(5 * min)}`,
      `pc4,ACC-PAY,,,3000.00,USD,${stamp(10 * min)}`,
    ];
    // debits: a window's width after the earlier run's credit and past it, at the tolerance's edges and just outside,
    // in the other currency, never matched, below the minimum
    const debits = ['-1000.00', '-2100.00', '-1900.00', '-2100.01', '-500.00', '-3000.00', '-7777.00', '-50.00'];
    for (let i = 1; i <= 40; i++) rows.push(`pd${i},ACC-PAY,,,${debits[i % debits.length]},USD,${stamp(i * min)}`);
    rows.push(
      `pdedge1,ACC-PAY,,,-3000.00,USD,${stamp(70 * min)}`,
      `pdedge2,ACC-PAY,,,-3000.00,USD,${stamp(70 * min, 1)}`,
    );
    // an account with many small credits lately: its two debits probe on (one finds the credit half an hour back)
    rows.push(`dc0,ACC-DEEP,,,1234.00,USD,${stamp(0)}`);
    for (let i = 0; i < 30; i++) rows.push(`dc${i + 1},ACC-DEEP,,,10.00,USD,${stamp(30 * min + i * 1000)}`);
    rows.push(
      `dd1,ACC-DEEP,,,-1234.00,USD,${stamp(30 * min + 31_000)}`,
      `dd2,ACC-DEEP,,,-999.00,USD,${stamp(30 * min + 32_000)}`,
    );
    // a debit whose first probe finds its credit
    rows.push(`nc1,ACC-NEAR,,,800.00,USD,${stamp(0)}`, `nd1,ACC-NEAR,,,-800.00,USD,${stamp(5 * min)}`);
    const run = await load(
      'rm-run',
      rows,
      `{ frameworks: [AML], sanctions: off, aml: ${aml} }`,
      0,
      '{ minSize: 9, maxSize: 9 }',
    );
    expect(run).toMatchObject({ status: 'SUCCEEDED', recordsLoaded: String(rows.length) });
    const rapid = AML_RULES.find((r) => r.rule === 'RAPID_MOVEMENT');
    const config = JSON.stringify(resolveAmlConfig(overrides));
    const { candidates } = await candidatesOfRun(ds, run.id, resolveAmlConfig(overrides));
    const alertsWith = (sql: string, list: number[] | null) =>
      ruleAlertsOf('RAPID_MOVEMENT', sql, [
        run.id,
        1,
        rows.length,
        run.jobId,
        config,
        '0',
        '9223372036854775807',
        list,
      ]);
    const reference = await alertsWith(PROBE_PER_DEBIT, null);
    const named = (txn: string) =>
      (
        reference.find((a: { txn_id: string }) => a.txn_id === txn) as
          { evidence: { creditTransaction: string } } | undefined
      )?.evidence.creditTransaction;
    // the cases are there: the tie names the later id, the edges, the deep probe's find, the first probe's
    expect(named('pd1')).toBe('aml-test:pc2'); // 2,100.00 against 2,000.00: the tolerance's edge
    expect(named('pd2')).toBe('aml-test:pc2'); // 1,900.00: the other edge
    expect(named('pd3')).toBeUndefined(); // 2,100.01: just outside
    expect(named('pd4')).toBeUndefined(); // the credit of 500 is in EUR
    expect(named('pd5')).toBeUndefined(); // before the credit of 3,000
    expect(named('pd13')).toBe('aml-test:pc4');
    expect(named('pd6')).toBeUndefined(); // only the unmonitored feed's credit matches
    expect(named('pd7')).toBeUndefined(); // below the minimum
    expect(named('pd8')).toBe('aml-test:rh1'); // the earlier run's credit
    expect(named('pd24')).toBe('aml-test:rh1');
    expect(named('pd32')).toBeUndefined(); // more than a window after it
    expect(named('pdedge1')).toBe('aml-test:pc4');
    expect(named('pdedge2')).toBeUndefined();
    expect(named('dd1')).toBe('aml-test:dc0');
    expect(named('dd2')).toBeUndefined();
    expect(named('nd1')).toBe('aml-test:nc1');
    expect(await alertsWith(rapid?.sql as string, null)).toEqual(reference);
    expect(await alertsWith(rapid?.sql as string, candidates as number[])).toEqual(reference);
  });

  it('reads the window of an account that pays out far more often than it is paid once per batch for RAPID_MOVEMENT, not once per debit', async () => {
    // 300 debits 10 seconds apart after one credit: a probe per debit reads the debit's whole window (about 45,000
    // row reads); here each debit reads at most twice the probe's rows, and the batch and the account's rows are read
    // a few times
    const stamp = (i: number) => new Date(Date.UTC(2026, 7, 2, 9) + i * 10_000).toISOString();
    const rows = [
      `pp0,ACC-PAYD,,,50000.00,USD,${stamp(0)}`,
      ...Array.from({ length: 300 }, (_, i) => `pp${i + 1},ACC-PAYD,,,-${6000 + i}.00,USD,${stamp(i + 1)}`),
    ];
    const run = await load('rm-dense', rows, AML, 0, '{ minSize: 500, maxSize: 500 }');
    expect(run).toMatchObject({ status: 'SUCCEEDED', recordsLoaded: '301', batchesCommitted: 1 });
    const rapid = AML_RULES.find((r) => r.rule === 'RAPID_MOVEMENT');
    const config = JSON.stringify(resolveAmlConfig({ velocity: { windowHours: 1, maxCount: 3 } }));
    // the run's sink ids, as a batch passes them (the scan of the batch reads only its rows)
    const ids = await idsOfRun(ds, run.id);
    const read = await rolledBack((q) =>
      rowsReadFrom(q, rapid?.sql as string, [run.id, 1, 301, run.jobId, config, ...ids, null]),
    );
    expect(read).toBeGreaterThan(300);
    expect(read).toBeLessThan(300 * (2 * 16) + 3 * 301);
  });

  it("reads a busy account's rows in the band once per batch for STRUCTURING, and not again once its window is alerted", async () => {
    // 300 rows just under the threshold on one account within 50 minutes, in one batch: a probe per row would read
    // each row's window (about 45,000 row reads)
    const stamp = (i: number) => new Date(Date.UTC(2026, 6, 2, 9) + i * 10_000).toISOString();
    const rows = Array.from({ length: 300 }, (_, i) => `sd${i},ACC-SMURFD,,,9500.00,USD,${stamp(i)}`);
    const run = await load('st-dense', rows, AML, 0, '{ minSize: 500, maxSize: 500 }');
    expect(run).toMatchObject({ status: 'SUCCEEDED', recordsLoaded: '300', batchesCommitted: 1 });
    expect((await alertsOf(run.id)).filter((a) => a.rule === 'STRUCTURING').length).toBe(1);
    const structuring = AML_RULES.find((r) => r.rule === 'STRUCTURING');
    const config = JSON.stringify(resolveAmlConfig({ velocity: { windowHours: 1, maxCount: 3 } }));
    // the run's sink ids, as a batch passes them (the scan of the batch reads only its rows)
    const ids = await idsOfRun(ds, run.id);
    await rolledBack(async (q) => {
      const read = () => rowsReadFrom(q, structuring?.sql as string, [run.id, 1, 300, run.jobId, config, ...ids, null]);
      // as the batch found it: the batch, the history once, and the alert's own window (its first three rows)
      await q.query(`DELETE FROM compliance_alerts WHERE rule = 'STRUCTURING' AND run_id = $1`, [run.id]);
      const first = await read();
      expect(first).toBeGreaterThanOrEqual(2 * 300);
      expect(first).toBeLessThan(2 * 300 + 10);
      // its window alerted: the batch is read, the history not again
      expect(await read()).toBe(300);
    });
  });

  it("reads a busy account's rows once per batch for VELOCITY, not once per row, and not again once its window is alerted", async () => {
    // 300 rows on one account within 50 minutes, in one batch: a probe per row would read each row's window
    // (about 45,000 row reads); set-based, each row of the account's history is read once per batch
    const stamp = (i: number) => new Date(Date.UTC(2026, 6, 1, 9) + i * 10_000).toISOString();
    const rows = Array.from({ length: 300 }, (_, i) => `vd${i},ACC-DENSE,,,10.00,USD,${stamp(i)}`);
    const run = await load('vel-dense', rows, AML, 0, '{ minSize: 500, maxSize: 500 }');
    expect(run).toMatchObject({ status: 'SUCCEEDED', recordsLoaded: '300', batchesCommitted: 1 });
    // the batch's VELOCITY alert (more than 3 transactions in the hour) is there, once for its window
    expect((await alertsOf(run.id)).filter((a) => a.rule === 'VELOCITY').length).toBeGreaterThanOrEqual(1);
    const velocity = AML_RULES.find((r) => r.rule === 'VELOCITY');
    const config = JSON.stringify(resolveAmlConfig({ velocity: { windowHours: 1, maxCount: 3 } }));
    const clustered = velocityClustered(
      rows.map((r, i) => ({ recordNo: i + 1, account: 'ACC-DENSE', bookedAt: r.split(',')[6] as string })),
      1,
    );
    expect(clustered.length).toBe(300);
    // the run's sink ids, as a batch passes them (the scan of the batch reads only its rows)
    const ids = await idsOfRun(ds, run.id);
    await rolledBack(async (q) => {
      const rowsRead = () =>
        rowsReadFrom(q, velocity?.sql as string, [run.id, 1, 300, run.jobId, config, ...ids, clustered]);
      // as the batch found it: no alert yet; the batch is read, and the account's history once
      await q.query(`DELETE FROM compliance_alerts WHERE rule = 'VELOCITY' AND run_id = $1`, [run.id]);
      const first = await rowsRead();
      expect(first).toBeGreaterThanOrEqual(2 * 300);
      expect(first).toBeLessThan(3 * 300);
      // its window alerted (as by an earlier batch): the batch is read, the history not again
      expect(await rowsRead()).toBe(300);
    });
  });
});
