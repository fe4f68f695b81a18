// KYC records loaded from a file (CLI and gRPC): every record loaded or rejected with a reason, audited —
// and the next run's accounts checked against them.
import { Metadata, status } from '@grpc/grpc-js';
import {
  createComplianceServiceClient,
  createJobServiceClient,
  RunStatus,
  type ComplianceServiceClient,
  type JobServiceClient,
  type Run,
} from '@strongroom/contract';
import {
  createTestDatabase,
  makeTempDir,
  runCli,
  startEngineProcess,
  testToken,
  unaryCall,
  writeTempFile,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

describe('KYC records from a file', () => {
  let db: TestDatabase;
  let engine: EngineProcess;
  let jobs: JobServiceClient;
  let compliance: ComplianceServiceClient;
  const dir = makeTempDir('strongroom-kyc-');
  const as = (sub: string, roles: string[]) => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${testToken(sub, roles)}`);
    return md;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({ databaseUrl: db.url, env: { STRONGROOM_HOME: `${dir}/home` } });
    jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    compliance = createComplianceServiceClient({ address: engine.address, token: engine.token });
  }, 120_000);
  afterAll(async () => {
    jobs?.close();
    compliance?.close();
    await engine?.stop();
    await db?.drop();
  });

  /** A run of a KYC-holding job over one transaction of `account`. */
  const runFor = async (name: string, account: string): Promise<Run> => {
    const csv = writeTempFile(
      dir,
      `${name}.csv`,
      `id,account,amount,currency,booked_at\n${name}-1,${account},10.00,EUR,2026-04-01T10:00:00Z\n`,
    );
    const job = await unaryCall(jobs, jobs.createJob, {
      definition: `name: ${name}\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account, amount: amount, currency: currency, booked_at: booked_at }\nerrors: { maxRejectRatio: 1 }\ncompliance: { frameworks: [KYC], kycPolicy: hold }\n`,
      baseDir: '',
    });
    const runId = (await unaryCall(jobs, jobs.runJob, { jobId: job.job?.id ?? '', file: '' })).run?.id ?? '';
    for (;;) {
      const r = (await unaryCall(jobs, jobs.getRun, { runId })).run as Run;
      if (r.status !== RunStatus.RUN_STATUS_RUNNING && r.status !== RunStatus.RUN_STATUS_PENDING) return r;
      await new Promise((res) => setTimeout(res, 100));
    }
  };

  it('loads valid records, rejects each bad one with its reason, and the next run sees the register', async () => {
    expect((await runFor('before-kyc', 'DE89370400440532013000')).deadLettered).toBe(1); // held: no KYC
    const file = writeTempFile(
      dir,
      'kyc.csv',
      [
        'account,customer_id,status,expires_at,risk_level',
        'DE89370400440532013000,C-1,verified,2030-01-01,LOW',
        'GB82WEST12345698765432,C-2,PENDING,,',
        'FR1420041010050500013M02606,C-3,MAYBE,,',
        '4111111111111111,C-4,VERIFIED,,',
        'DE89370400440532013000,C-1b,VERIFIED,,',
        'NL91ABNA0417164300,,VERIFIED,,',
        'NL91ABNA0417164301,C-7,VERIFIED,someday,',
      ].join('\n') + '\n',
    );
    const r = await unaryCall(
      compliance,
      compliance.loadKycRecords,
      { file, reason: 'monthly KYC refresh' },
      30_000,
      as('kyc-officer', ['auditor']),
    );
    expect(r).toMatchObject({ read: 7, loaded: 2, rejected: 5 });
    expect(r.rejections.map((x) => [x.recordNo, x.reasonCode])).toEqual([
      [3, 'INVALID_STATUS'],
      [4, 'INVALID_PAN'],
      [5, 'DUPLICATE_KEY'],
      [6, 'MISSING_FIELD'],
      [7, 'INVALID_DATE'],
    ]);
    expect(JSON.stringify(r)).not.toContain('4111111111111111');
    const after = await runFor('after-kyc', 'DE89370400440532013000');
    expect(after).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, loaded: 1, deadLettered: 0 });
  });

  it('loads from the command line, refuses an operator, a file outside the roots and a file without the columns', async () => {
    const file = writeTempFile(dir, 'kyc2.csv', 'account,customer_id,status\nGB82WEST12345698765432,C-2,VERIFIED\n');
    const env = { STRONGROOM_ENGINE: engine.address, STRONGROOM_TOKEN: testToken('kyc-officer', ['auditor']) };
    const cli = await runCli(['kyc', 'load', file, '--reason', 'C-2 verified', '--json'], env);
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout.trim().split('\n').pop() as string)).toMatchObject({
      read: 1,
      loaded: 1,
      rejected: 0,
    });
    await expect(
      unaryCall(compliance, compliance.loadKycRecords, { file, reason: 'x' }, 10_000, as('otto', ['operator'])),
    ).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect(
      unaryCall(
        compliance,
        compliance.loadKycRecords,
        { file: '/etc/passwd', reason: 'x' },
        10_000,
        as('k', ['auditor']),
      ),
    ).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    const bare = writeTempFile(dir, 'kyc3.csv', 'acct,id\nA,B\n');
    await expect(
      unaryCall(compliance, compliance.loadKycRecords, { file: bare, reason: 'x' }, 10_000, as('k', ['auditor'])),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('no account, customer_id, status column'),
    });
  });
});
