import path from 'node:path';
import { createPanProtector, SanctionsIndex } from '@strongroom/compliance';
import { createDataSource, type DataSource } from '@strongroom/db';
import { silentLogger } from '@strongroom/logging';
import { corpusDir, createTestDatabase, type TestDatabase } from '@strongroom/testing';
import { type ScreeningSetup } from '../compliance/compliance-checks';
import { parseJobDefinition } from '../jobs/job-definition';
import { saveJob } from '../jobs/job-store';
import { IngestSession, type IngestRecordInput } from './ingest';

const rec = (id: string, counterparty: string, account = 'ACC1'): IngestRecordInput => ({
  txn_id: id,
  account,
  counterparty_name: counterparty,
  amount: '25.00',
  currency: 'EUR',
  booked_at: '2026-11-01T10:00:00Z',
});

/**
 * A stream batch's AML checks: its counterparties are screened when it arrives (while the batch before commits),
 * against the sanctions lists then in force, and lists replaced before its commit are screened against again; the
 * VELOCITY check of a busy account's rows at one instant, spread over many small batches.
 */
describe('IngestSession: AML checks of a stream batch', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const listed = SanctionsIndex.fromFiles([
    path.join(corpusDir('sanctions'), 'ofactest/sdn.csv'),
    path.join(corpusDir('sanctions'), 'ofactest/alt.csv'),
  ]);

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 2 });
    await ds.initialize();
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  it('screens on arrival, and again at the commit when the lists were replaced meanwhile', async () => {
    const screening: ScreeningSetup = { screener: new SanctionsIndex([]), threshold: 0.9 };
    const saved = await saveJob(
      ds,
      parseJobDefinition('name: stream-screened\nsource: { kind: grpc }\ncompliance: { frameworks: [AML] }\n'),
    );
    const ctx = {
      ds,
      logger: silentLogger(),
      pan: createPanProtector({ id: 't', secret: Buffer.alloc(32, 1) }),
      screening,
    };
    const session = await IngestSession.open(ctx, saved.job.id, 'stream-screened', 'test');
    const alerted = async () =>
      (
        (await ds.query(
          `SELECT txn_id FROM compliance_alerts WHERE run_id = $1 AND rule = 'SANCTIONS' ORDER BY txn_id`,
          [session.run.id],
        )) as { txn_id: string }[]
      ).map((a) => a.txn_id);
    try {
      // screened on arrival against the lists in force then (here: lists without the name)
      const first = await session.prepare('s-1', [rec('S-1', 'daniel MORENO'), rec('S-2', 'Acme')]);
      expect(first.aml?.screened?.screener).toBe(screening.screener);
      expect(await first.aml?.screened?.names).toEqual(
        new Map([
          ['daniel MORENO', null],
          ['Acme', null],
        ]),
      );
      // new lists are in force before the batch commits: the commit screens again, and the name hits
      screening.screener = listed;
      await session.commit(first, 'test');
      expect(await alerted()).toEqual(['S-1']);
      // with the same lists from arrival to commit, the answers made on arrival are used
      const second = await session.prepare('s-2', [rec('S-3', 'Daniel Moreno')]);
      expect(second.aml?.screened?.screener).toBe(listed);
      expect((await second.aml?.screened?.names)?.get('Daniel Moreno')).toMatchObject({ hit: true, entryId: '15102' });
      await session.commit(second, 'test');
      expect(await alerted()).toEqual(['S-1', 'S-3']);
    } finally {
      await session.close();
    }
  });

  it("raises one VELOCITY alert per busy account window when each small batch holds one of the account's rows at the same instant", async () => {
    const saved = await saveJob(
      ds,
      parseJobDefinition(
        'name: stream-velocity\nsource: { kind: grpc }\ncompliance: { frameworks: [AML], sanctions: off, aml: { velocity: { maxCount: 3 } } }\n',
      ),
    );
    const ctx = { ds, logger: silentLogger(), pan: createPanProtector({ id: 't', secret: Buffer.alloc(32, 1) }) };
    const session = await IngestSession.open(ctx, saved.job.id, 'stream-velocity', 'test');
    try {
      // three accounts, one row each per batch, all booked at one instant (a date-only booking): ten batches
      for (let b = 1; b <= 10; b++) {
        const batch = ['A', 'B', 'C'].map((a) => rec(`${a}-${b}`, 'Acme', `ACC-${a}`));
        const prepared = await session.prepare(`v-${b}`, batch);
        // from the account's fourth row on (more than maxCount in its window), the rows are checked set-based
        expect(prepared.aml?.clustered).toEqual(b > 3 ? expect.arrayContaining([3 * b - 2, 3 * b - 1, 3 * b]) : []);
        await session.commit(prepared, 'test');
      }
      const alerts = (await ds.query(
        `SELECT txn_id, evidence->>'count' AS n FROM compliance_alerts WHERE run_id = $1 AND rule = 'VELOCITY' ORDER BY txn_id`,
        [session.run.id],
      )) as { txn_id: string; n: string }[];
      // each account's window breaches with its fourth row, and is alerted once
      expect(alerts).toEqual([
        { txn_id: 'A-4', n: '4' },
        { txn_id: 'B-4', n: '4' },
        { txn_id: 'C-4', n: '4' },
      ]);
    } finally {
      await session.close();
    }
  });
});
