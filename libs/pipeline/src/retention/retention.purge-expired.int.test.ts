// @clock-sensitive: the purge compares booking dates with its clock; npm test runs this file again with the clock a year ahead.
import { verifyChain } from '@strongroom/audit';
import { createDataSource, type DataSource, sqlExec } from '@strongroom/db';
import { createPanProtector } from '@strongroom/compliance';
import { silentLogger } from '@strongroom/logging';
import { createTestDatabase, makeTempDir, writeTempFile, type TestDatabase } from '@strongroom/testing';
import {
  createRun,
  executeRun,
  getJob,
  listHolds,
  parseJobDefinition,
  placeHold,
  purgeExpired,
  releaseHold,
  RunControl,
  saveJob,
  type RetentionPolicy,
} from '../index';

const POLICY: RetentionPolicy = { PUBLIC: 2557, INTERNAL: 2557, CONFIDENTIAL: 2557, RESTRICTED: 1000 };
/** The purge's clock, injected: the booking dates below are placed around it, whatever today's date is. */
const NOW = new Date('2026-11-15T00:00:00Z');

describe('retention and legal holds', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const dir = makeTempDir();

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 4 });
    await ds.initialize();
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  async function load(name: string, rows: string[], compliance: string) {
    const file = writeTempFile(dir, `${name}.csv`, ['id,account,amount,currency,booked_at', ...rows].join('\n') + '\n');
    const { job } = await saveJob(
      ds,
      parseJobDefinition(
        `name: ${name}\nsource:\n  kind: csv\n  path: ${file}\n  mapping: { txn_id: id, account: account, amount: amount, currency: currency, booked_at: booked_at }\nerrors: { maxRejectRatio: 0.5 }\ncompliance: ${compliance}\n`,
      ),
    );
    const j = await getJob(ds, job.id);
    const { run } = await createRun(ds, j);
    return executeRun(
      { ds, logger: silentLogger(), pan: createPanProtector({ id: 't', secret: Buffer.alloc(32, 2) }) },
      run,
      j,
      new RunControl(),
      () => undefined,
    );
  }
  const ids = async (runId: string) =>
    (
      (await ds.query('SELECT txn_id FROM transactions WHERE run_id = $1 ORDER BY txn_id', [runId])) as {
        txn_id: string;
      }[]
    ).map((r) => r.txn_id);

  it('purges expired rows except those under a legal hold, audits the counts, and purges them once the hold is released', async () => {
    const a = await load(
      'ret-a',
      [
        'a1,ACC-1,1.00,USD,2020-01-01T00:00:00Z',
        'a2,ACC-2,1.00,USD,2020-01-01T00:00:00Z',
        'a3,ACC-2,1.00,USD,2026-11-01T00:00:00Z',
        'a4,ACC-2,x,USD,2020-01-01T00:00:00Z',
      ],
      '{ retentionDays: 30 }',
    );
    const b = await load(
      'ret-b',
      ['b1,ACC-9,1.00,USD,2020-01-01T00:00:00Z', 'b2,ACC-9,1.00,USD,2025-06-01T00:00:00Z'],
      '{ dataClassification: RESTRICTED }',
    );
    await ds.query(`UPDATE dead_letter_queue SET created_at = '2020-01-02' WHERE run_id = $1`, [a.id]); // an old dead letter (a4)

    const accountHold = await placeHold(ds, 'ACCOUNT', 'ACC-1', 'litigation 2026-17', 'user:legal');
    expect(accountHold.coveredRows).toBe(1);
    const runHold = await placeHold(ds, 'RUN', b.id, 'regulator inquiry', 'user:legal');
    await expect(placeHold(ds, 'RUN', 'not-a-run', 'x', 'user:legal')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(placeHold(ds, 'ACCOUNT', 'ACC-3', ' ', 'user:legal')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });

    const dry = await purgeExpired(ds, POLICY, 'user:ops', { dryRun: true, now: NOW });
    expect(dry).toMatchObject({ dryRun: true, purged: 0, held: 2 });
    expect(await ids(a.id)).toEqual(['a1', 'a2', 'a3']);

    const first = await purgeExpired(ds, POLICY, 'user:ops', { batchSize: 1, now: NOW });
    expect(first).toMatchObject({ purged: 1, held: 2, deadLettersPurged: 1 });
    expect(first.jobs.find((j) => j.jobName === 'ret-a')).toMatchObject({
      retentionDays: 30,
      expired: 2,
      purged: 1,
      held: 1,
    });
    expect(first.jobs.find((j) => j.jobName === 'ret-b')).toMatchObject({
      retentionDays: 1000,
      expired: 1,
      purged: 0,
      held: 1,
    });
    expect(await ids(a.id)).toEqual(['a1', 'a3']); // a1 held, a3 not expired
    expect(await ids(b.id)).toEqual(['b1', 'b2']); // b1 expired but its run is held

    await releaseHold(ds, runHold.hold.id, 'inquiry closed', 'user:legal');
    await expect(releaseHold(ds, runHold.hold.id, 'again', 'user:legal')).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
    });
    expect((await listHolds(ds, true)).map((h) => h.id)).toEqual([accountHold.hold.id]);
    const second = await purgeExpired(ds, POLICY, 'user:ops', { now: NOW });
    expect(second).toMatchObject({ purged: 1, held: 1 });
    expect(await ids(b.id)).toEqual(['b2']);

    const audit = (await ds.query(
      `SELECT action, actor, details FROM immutable_audit_log WHERE action LIKE 'hold:%' OR action LIKE 'retention:%' ORDER BY seq`,
    )) as { action: string; actor: string; details: Record<string, unknown> }[];
    expect(audit.map((x) => x.action)).toEqual([
      'hold:placed',
      'hold:placed',
      'retention:purged',
      'retention:completed',
      'hold:released',
      'retention:purged',
      'retention:completed',
    ]);
    const purged = audit
      .filter((x) => x.action === 'retention:purged')
      .map((x) => [x.details['transactions'], x.details['deadLetters']]);
    expect(purged).toEqual([
      [1, 1],
      [1, 0],
    ]);
    expect(audit.find((x) => x.action === 'retention:completed')?.details).toMatchObject({
      purged: 1,
      held: 2,
      deadLetters: 1,
    });
    expect((await verifyChain(sqlExec(ds))).ok).toBe(true);
  });
});
