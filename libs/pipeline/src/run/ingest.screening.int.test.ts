import path from 'node:path';
import { createPanProtector, SanctionsIndex } from '@strongroom/compliance';
import { createDataSource, type DataSource } from '@strongroom/db';
import { silentLogger } from '@strongroom/logging';
import { corpusDir, createTestDatabase, type TestDatabase } from '@strongroom/testing';
import { type ScreeningSetup } from '../compliance/compliance-checks';
import { parseJobDefinition } from '../jobs/job-definition';
import { saveJob } from '../jobs/job-store';
import { IngestSession, type IngestRecordInput } from './ingest';

const rec = (id: string, counterparty: string): IngestRecordInput => ({
  txn_id: id,
  account: 'ACC1',
  counterparty_name: counterparty,
  amount: '25.00',
  currency: 'EUR',
  booked_at: '2026-11-01T10:00:00Z',
});

/**
 * A stream batch's counterparties are screened when it arrives (while the batch before commits), against the
 * sanctions lists then in force; lists replaced before its commit are screened against again.
 */
describe('IngestSession: sanctions screening of a stream batch', () => {
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
});
