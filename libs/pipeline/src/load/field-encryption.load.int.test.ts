import path from 'node:path';
import { createDataSource, type DataSource } from '@strongroom/db';
import { createPanProtector, decryptField, newKeyLine, parseKeyRing, SanctionsIndex } from '@strongroom/compliance';
import { silentLogger } from '@strongroom/logging';
import { corpusDir, createTestDatabase, makeTempDir, writeTempFile, type TestDatabase } from '@strongroom/testing';
import {
  createRun,
  executeRun,
  getJob,
  parseJobDefinition,
  replayDeadLetters,
  RunControl,
  saveJob,
  verifyRun,
} from '../index';

const CORPUS = corpusDir('sanctions');
const keys = parseKeyRing([newKeyLine('k1'), `index:${Buffer.alloc(32, 5).toString('base64')}`].join('\n'));

/**
 * RESTRICTED fields end to end: stored AES-256-GCM encrypted with the key id, never in clear; the
 * digests, verify-run, re-delivery detection, AML windows (blind index), sanctions screening and the
 * DLQ (encrypted raw records, decrypted for replay) all still work.
 */
describe('field encryption in the load path', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const dir = makeTempDir();
  const ctx = () => ({
    ds,
    logger: silentLogger(),
    pan: createPanProtector({ id: 't', secret: Buffer.alloc(32, 3) }),
    fieldKeys: keys,
    screening: { screener: SanctionsIndex.fromFiles([path.join(CORPUS, 'ofactest/sdn.csv')]), threshold: 0.9 },
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

  async function load(name: string, rows: string[]) {
    const file = writeTempFile(
      dir,
      `${name}.csv`,
      ['id,account,cp_iban,cp_name,amount,currency,booked_at,reference', ...rows].join('\n') + '\n',
    );
    const { job } = await saveJob(
      ds,
      parseJobDefinition(`name: ${name}
source:
  kind: csv
  path: ${file}
  system: enc
  mapping: { txn_id: id, account: account, counterparty_account: cp_iban, counterparty_name: cp_name, amount: amount, currency: currency, booked_at: booked_at, reference: reference }
batching: { minSize: 2, maxSize: 2 }
errors: { maxRejectRatio: 0.5 }
compliance: { frameworks: [AML], classification: { account: RESTRICTED, counterparty_account: RESTRICTED, counterparty_name: RESTRICTED, reference: RESTRICTED }, aml: { structuring: { minCount: 2 } } }
`),
    );
    const j = await getJob(ds, job.id);
    const { run } = await createRun(ds, j);
    return executeRun(ctx(), run, j, new RunControl(), () => undefined);
  }

  it('stores RESTRICTED fields encrypted, keeps every control working, and decrypts for replay', async () => {
    const run = await load('enc-a', [
      'e1,DE89370400440532013000,IR062960000000100324200001,Daniel MORENO,9500.00,USD,2026-03-01T10:00:00Z,invoice 1',
      'e2,DE89370400440532013000,,Grace Hopper,9600.00,USD,2026-03-01T12:00:00Z,invoice 2',
      'e3,GB29NWBK60161331926819,,Alan Turing,x,USD,2026-03-01T12:00:00Z,secret reference',
    ]);
    expect(run).toMatchObject({ status: 'SUCCEEDED', recordsLoaded: '2', recordsDeadLettered: '1' });
    const rows = (await ds.query(
      'SELECT txn_id, account, counterparty_account, counterparty_name, reference, account_bidx FROM transactions WHERE run_id = $1 ORDER BY txn_id',
      [run.id],
    )) as Record<string, string | null>[];
    for (const r of rows) {
      for (const f of ['account', 'counterparty_name', 'reference'] as const) expect(r[f]).toMatch(/^enc:v1:k1:/);
      expect(r['account_bidx']).toEqual(expect.any(String));
    }
    expect(JSON.stringify(rows)).not.toMatch(/DE89|MORENO|Hopper|invoice|IR06/);
    expect(decryptField(keys, 'counterparty_name', rows[0]?.['counterparty_name'] as string)).toBe('Daniel MORENO');
    expect(rows[1]?.['counterparty_account']).toBeNull();

    // the controls that read these fields still work
    expect((await verifyRun(ds, run.id, keys)).ok).toBe(true);
    const alerts = (await ds.query(
      'SELECT rule, txn_id, evidence FROM compliance_alerts WHERE run_id = $1 ORDER BY rule, txn_id',
      [run.id],
    )) as { rule: string; txn_id: string; evidence: Record<string, string> }[];
    expect(alerts.map((a) => `${a.rule}:${a.txn_id}`)).toEqual([
      'HIGH_RISK_JURISDICTION:e1',
      'SANCTIONS:e1',
      'STRUCTURING:e2',
    ]);
    expect(alerts.find((a) => a.rule === 'SANCTIONS')?.evidence['screenedName']).toMatch(/^enc:v1:k1:/); // evidence does not leak the name

    // the dead letter's raw record is encrypted, and decrypted (then corrected) for replay
    const [dead] = (await ds.query('SELECT id::text AS id, raw_record FROM dead_letter_queue WHERE run_id = $1', [
      run.id,
    ])) as { id: string; raw_record: string }[];
    expect(dead?.raw_record).toMatch(/^enc:v1:k1:/);
    expect(decryptField(keys, 'raw_record', dead?.raw_record as string)).toContain('secret reference');
    const [outcome] = await replayDeadLetters(ctx(), { ids: [dead?.id as string], corrections: new Map() }, 'user:ops');
    expect(outcome).toMatchObject({ outcome: 'STILL_FAILING', reasonCode: 'INVALID_AMOUNT' }); // parsed from the decrypted record

    // the same rows delivered again by another run are recognized as already loaded, though stored with fresh IVs
    const again = await load('enc-b', [
      'e1,DE89370400440532013000,IR062960000000100324200001,Daniel MORENO,9500.00,USD,2026-03-01T10:00:00Z,invoice 1',
      'e2,DE89370400440532013000,,Grace Hopper,9600.01,USD,2026-03-01T12:00:00Z,invoice 2',
    ]);
    expect(again).toMatchObject({ recordsLoaded: '0', recordsFiltered: '1', recordsDeadLettered: '1' });
    const [conflict] = (await ds.query(`SELECT reason_code FROM dead_letter_queue WHERE run_id = $1`, [again.id])) as {
      reason_code: string;
    }[];
    expect(conflict?.reason_code).toBe('KEY_CONFLICT');
  });

  it('refuses RESTRICTED on fields the engine computes on, and a RESTRICTED job without a key ring', async () => {
    expect(() =>
      parseJobDefinition(`name: x\nsource: { kind: grpc }\ncompliance: { classification: { amount: RESTRICTED } }\n`),
    ).toThrow(/amount cannot be RESTRICTED.*account, counterparty_account, counterparty_name, reference/);
    expect(() =>
      parseJobDefinition(`name: x\nsource: { kind: grpc }\ncompliance: { classification: { txn_id: RESTRICTED } }\n`),
    ).toThrow(/business key/);
    const file = writeTempFile(
      dir,
      'nokeys.csv',
      'id,account,cp_iban,cp_name,amount,currency,booked_at,reference\nn1,A,,,1.00,USD,2026-03-01T10:00:00Z,\n',
    );
    const { job } = await saveJob(
      ds,
      parseJobDefinition(
        `name: enc-nokeys\nsource:\n  kind: csv\n  path: ${file}\n  mapping: { txn_id: id, account: account, amount: amount, currency: currency, booked_at: booked_at }\ncompliance: { classification: { account: RESTRICTED } }\n`,
      ),
    );
    const j = await getJob(ds, job.id);
    const { run } = await createRun(ds, j);
    const after = await executeRun({ ...ctx(), fieldKeys: undefined }, run, j, new RunControl(), () => undefined);
    expect(after).toMatchObject({ status: 'FAILED', errorCode: 'FAILED_PRECONDITION' });
    expect(after.errorMessage).toMatch(/RESTRICTED but no field-encryption key ring/);
  });
});
