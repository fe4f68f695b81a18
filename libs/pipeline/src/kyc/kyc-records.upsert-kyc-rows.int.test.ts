// The KYC register keeps the most recent file's row of each account: a file applied late (a paused run,
// two inbox files at once, a replay) never undoes what a more recent file wrote.
import { createDataSource, runMigrations, sqlExec, type DataSource } from '@strongroom/db';
import { createTestDatabase, type TestDatabase } from '@strongroom/testing';
import { type KycRow, upsertKycRows } from './kyc-records';

describe('upsertKycRows', () => {
  let db: TestDatabase;
  let ds: DataSource;
  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 2 });
    await ds.initialize();
    await runMigrations(ds);
  });
  afterAll(async () => {
    await ds.destroy();
    await db.drop();
  });

  const row = (account: string, status: string, recordNo = 1): KycRow => ({
    recordNo,
    account,
    customerId: `C-${account}`,
    status,
    expiresAt: null,
    riskLevel: 'MEDIUM',
  });
  const statusOf = async (account: string) =>
    ((await ds.query('SELECT status FROM kyc_customers WHERE account = $1', [account])) as { status: string }[])[0]
      ?.status;

  it('lets only a file at least as recent replace an account’s row', async () => {
    const monday = new Date('2020-12-07T06:00:00Z');
    const tuesday = new Date('2020-12-08T06:00:00Z');
    const exec = sqlExec(ds);
    // Tuesday's file is applied first: A rejected, B verified
    expect(await upsertKycRows(exec, [row('A', 'REJECTED'), row('B', 'VERIFIED')], tuesday)).toEqual(['A', 'B']);
    // Monday's file comes late: A (verified then) must not undo Tuesday's rejection; C is new, it is written
    expect(await upsertKycRows(exec, [row('A', 'VERIFIED'), row('C', 'PENDING')], monday)).toEqual(['C']);
    expect([await statusOf('A'), await statusOf('B'), await statusOf('C')]).toEqual([
      'REJECTED',
      'VERIFIED',
      'PENDING',
    ]);
    // a file as recent, or a load now (no time given), replaces
    expect(await upsertKycRows(exec, [row('B', 'PENDING')], tuesday)).toEqual(['B']);
    expect(await upsertKycRows(exec, [row('A', 'VERIFIED')])).toEqual(['A']);
    expect(await statusOf('A')).toBe('VERIFIED');
    // and after a load now, Tuesday's file is older
    expect(await upsertKycRows(exec, [row('A', 'REJECTED')], tuesday)).toEqual([]);
  });
});
