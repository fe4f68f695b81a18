// KYC records through a job (`source.kind: kyc`): a run like any other — counted (read = loaded +
// dead-lettered), bad records dead-lettered with their reason and replayable, the reject ratio deciding,
// audited — that writes the KYC register, and only for the people who may write it.
import { Client } from 'pg';
import { Metadata, status } from '@grpc/grpc-js';
import {
  createDeadLetterServiceClient,
  createJobServiceClient,
  RunStatus,
  type DeadLetterServiceClient,
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

describe('a KYC job', () => {
  let db: TestDatabase;
  let engine: EngineProcess;
  let jobs: JobServiceClient;
  let dlq: DeadLetterServiceClient;
  let pg: Client;
  const dir = makeTempDir('strongroom-kyc-job-');
  const as = (sub: string, roles: string[]) => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${testToken(sub, roles)}`);
    return md;
  };
  // defining, running and replaying a KYC job: an operator's RPCs that write the KYC register (an auditor's)
  const auditor = () => as('kyc-officer', ['operator', 'auditor']);
  const operator = () => as('otto', ['operator']);
  const KYC_HEADER = 'account,customer_id,status,expires_at,risk_level';

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({ databaseUrl: db.url, env: { STRONGROOM_HOME: `${dir}/home` } });
    jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    dlq = createDeadLetterServiceClient({ address: engine.address, token: engine.token });
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  }, 120_000);
  afterAll(async () => {
    jobs?.close();
    dlq?.close();
    await pg?.end();
    await engine?.stop();
    await db?.drop();
  });

  const until = async (runId: string): Promise<Run> => {
    for (;;) {
      const r = (await unaryCall(jobs, jobs.getRun, { runId })).run as Run;
      if (r.status !== RunStatus.RUN_STATUS_RUNNING && r.status !== RunStatus.RUN_STATUS_PENDING) return r;
      await new Promise((res) => setTimeout(res, 100));
    }
  };
  const define = (definition: string, md = auditor()) =>
    unaryCall(jobs, jobs.createJob, { definition, baseDir: '' }, 10_000, md);
  const run = async (jobId: string, file = '', md = auditor()) =>
    until((await unaryCall(jobs, jobs.runJob, { jobId, file }, 10_000, md)).run?.id ?? '');
  const register = async () =>
    (
      await pg.query(
        `SELECT account, customer_id, status, risk_level, to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS expires
           FROM kyc_customers ORDER BY account`,
      )
    ).rows;
  const letters = async (runId: string) =>
    (
      await unaryCall(dlq, dlq.listDeadLetters, {
        runId,
        jobId: '',
        status: 0,
        reasonCode: '',
        pageSize: 100,
        pageToken: '',
      })
    ).deadLetters;

  let kycJobId = '';
  let firstRun: Run;

  it('loads the register by a job: each bad record dead-lettered with its reason, counted, audited', async () => {
    // a transaction job that holds accounts without KYC: before the KYC job, its transaction waits
    const tx = writeTempFile(
      dir,
      'tx.csv',
      'id,account,amount,currency,booked_at\nt-1,DE89370400440532013000,10.00,EUR,2026-04-01T10:00:00Z\n',
    );
    const txJob = await define(
      `name: held-payments\nsource:\n  kind: csv\n  path: ${tx}\n  mapping: { txn_id: id, account: account, amount: amount, currency: currency, booked_at: booked_at }\nerrors: { maxRejectRatio: 1 }\ncompliance: { frameworks: [KYC], kycPolicy: hold }\n`,
      operator(),
    );
    expect((await run(txJob.job?.id ?? '', '', operator())).deadLettered).toBe(1);

    const file = writeTempFile(
      dir,
      'kyc-day-1.csv',
      [
        KYC_HEADER,
        'DE89370400440532013000,C-1,verified,2030-01-01,LOW',
        'GB82WEST12345698765432,C-2,PENDING,,',
        'FR1420041010050500013M02606,C-3,MAYBE,,',
        '4111111111111111,C-4,VERIFIED,,',
        'DE89370400440532013000,C-1b,VERIFIED,,',
        'NL91ABNA0417164300,,VERIFIED,,',
        'NL91ABNA0417164301,C-7,VERIFIED,someday,',
        'NL91ABNA0417164302,C-8,VERIFIED,,EXTREME',
        'NL91ABNA0417164303,C-9,4111111111111111,,', // a card number where the status belongs
      ].join('\n') + '\n',
    );
    const job = await define(
      `name: kyc-register\nsource: { kind: kyc, path: ${file} }\nerrors: { maxRejectRatio: 0.8 }\n`,
    );
    kycJobId = job.job?.id ?? '';
    expect(JSON.parse(job.job?.definitionJson ?? '{}')).toMatchObject({ sink: { table: 'kyc_customers' } });
    firstRun = await run(kycJobId);
    expect(firstRun).toMatchObject({
      status: RunStatus.RUN_STATUS_SUCCEEDED,
      read: 9,
      loaded: 2,
      deadLettered: 7,
      filtered: 0,
    });
    expect(await register()).toEqual([
      {
        account: 'DE89370400440532013000',
        customer_id: 'C-1',
        status: 'VERIFIED',
        risk_level: 'LOW',
        expires: '2030-01-01',
      },
      { account: 'GB82WEST12345698765432', customer_id: 'C-2', status: 'PENDING', risk_level: 'MEDIUM', expires: null },
    ]);
    const dead = await letters(firstRun.id);
    expect(dead.map((d) => [d.recordNo, d.reasonCode])).toEqual([
      [3, 'INVALID_STATUS'],
      [4, 'INVALID_PAN'],
      [5, 'DUPLICATE_KEY'],
      [6, 'MISSING_FIELD'],
      [7, 'INVALID_DATE'],
      [8, 'INVALID_RISK_LEVEL'],
      [9, 'INVALID_STATUS'],
    ]);
    // the card number never reaches the dead-letter queue in clear
    const raw = await pg.query(`SELECT raw_record, reason_message FROM dead_letter_queue WHERE run_id = $1`, [
      firstRun.id,
    ]);
    expect(JSON.stringify(raw.rows)).not.toContain('4111111111111111');
    const audit = await pg.query(
      `SELECT action, actor, details FROM immutable_audit_log
        WHERE action IN ('run:requested', 'kyc:loaded') AND subject->>'runId' = $1 ORDER BY seq`,
      [firstRun.id],
    );
    // the person asked for the run; the engine carried it out
    expect(audit.rows.map((r) => [r.action, r.actor])).toEqual([
      ['run:requested', 'user:kyc-officer'],
      ['kyc:loaded', 'service:engine'],
    ]);
    expect(audit.rows[1].details).toEqual({ read: 9, loaded: 2, rejected: 7, superseded: 0, registerUpdated: true });
    // the held transaction's account now has VERIFIED KYC: the next run of that account loads
    const tx2 = writeTempFile(
      dir,
      'tx2.csv',
      'id,account,amount,currency,booked_at\nt-2,DE89370400440532013000,12.00,EUR,2026-04-02T10:00:00Z\n',
    );
    expect(await run(txJob.job?.id ?? '', tx2, operator())).toMatchObject({ loaded: 1, deadLettered: 0 });
  });

  it('replays a corrected dead letter into the register (auditors), never over a later load', async () => {
    const dead = await letters(firstRun.id);
    const status3 = dead.find((d) => d.recordNo === 3)?.id ?? '';
    const risk8 = dead.find((d) => d.recordNo === 8)?.id ?? '';
    const replay = (ids: string[], corrections: { id: string; rawRecord: string }[], md: Metadata) =>
      unaryCall(
        dlq,
        dlq.replayDeadLetters,
        { ids, runId: '', corrections, reason: 'checked with KYC team' },
        30_000,
        md,
      );
    // an operator may replay transactions, not write the KYC register
    await expect(
      replay([status3], [{ id: status3, rawRecord: 'FR1420041010050500013M02606,C-3,VERIFIED,,' }], operator()),
    ).rejects.toMatchObject({ code: status.PERMISSION_DENIED, details: expect.stringContaining('KYC register') });
    // a later KYC load (the CLI) changes NL91…302 after the run: replaying the run's old record of it must not undo that
    const later = writeTempFile(dir, 'kyc-later.csv', `${KYC_HEADER}\nNL91ABNA0417164302,C-8,REJECTED,,HIGH\n`);
    const cli = await runCli(['kyc', 'load', later, '--reason', 'C-8 rejected', '--json'], {
      STRONGROOM_ENGINE: engine.address,
      STRONGROOM_TOKEN: testToken('kyc-officer', ['auditor']),
    });
    expect(cli.code).toBe(0);
    const out = await replay(
      [status3, risk8],
      [
        { id: status3, rawRecord: 'FR1420041010050500013M02606,C-3,VERIFIED,,' },
        { id: risk8, rawRecord: 'NL91ABNA0417164302,C-8,VERIFIED,,HIGH' },
      ],
      auditor(),
    );
    expect(out.outcomes.map((o) => [o.outcome, o.reasonCode])).toEqual([
      ['LOADED', ''],
      ['STILL_FAILING', 'SUPERSEDED'],
    ]);
    expect((await register()).map((r) => [r.account, r.status])).toEqual([
      ['DE89370400440532013000', 'VERIFIED'],
      ['FR1420041010050500013M02606', 'VERIFIED'],
      ['GB82WEST12345698765432', 'PENDING'],
      ['NL91ABNA0417164302', 'REJECTED'], // the later load stands
    ]);
    // conservation still holds: one record moved from dead-lettered to loaded
    expect((await unaryCall(jobs, jobs.getRun, { runId: firstRun.id })).run).toMatchObject({
      read: 9,
      loaded: 3,
      deadLettered: 6,
    });
  });

  it('fails a file with too many bad records and leaves the register as it was', async () => {
    const before = await register();
    const bad = writeTempFile(
      dir,
      'kyc-day-2.csv',
      [
        KYC_HEADER,
        'AT611904300234573201,C-9,VERIFIED,,',
        'AT611904300234573202,C-10,NOPE,,',
        'AT611904300234573203,,VERIFIED,,',
        'AT611904300234573204,C-12,VERIFIED,tomorrow,',
        'AT611904300234573205,C-13,VERIFIED,,SEVERE',
        'AT611904300234573201,C-9,VERIFIED,,',
      ].join('\n') + '\n',
    );
    const failed = await run(kycJobId, bad);
    expect(failed).toMatchObject({
      status: RunStatus.RUN_STATUS_FAILED,
      errorCode: 'REJECT_RATIO_EXCEEDED',
      read: 6,
      deadLettered: 5,
      inSink: 0,
    });
    expect(failed.errorMessage).toContain('the KYC register was not changed');
    expect(await register()).toEqual(before);
    // a file without the KYC columns fails the run with a precise message
    const wrong = writeTempFile(dir, 'not-kyc.csv', 'id,acct\n1,A\n');
    expect(await run(kycJobId, wrong)).toMatchObject({
      status: RunStatus.RUN_STATUS_FAILED,
      errorCode: 'SOURCE_MALFORMED',
      errorMessage: expect.stringContaining('no account, customer_id, status column'),
    });
  });

  it('is defined and run only by those who may write the register; the CLI runs it too', async () => {
    const file = writeTempFile(dir, 'kyc-day-3.csv', `${KYC_HEADER}\nBE68539007547034,C-11,VERIFIED,,\n`);
    const def = `name: kyc-by-operator\nsource: { kind: kyc, path: ${file} }\n`;
    await expect(define(def, operator())).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
      details: expect.stringContaining('KYC register'),
    });
    await expect(run(kycJobId, file, operator())).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    // nor may an operator turn the KYC job into another one (its feed would stop without anyone allowed noticing)
    await expect(
      define(
        `name: kyc-register\nsource:\n  kind: csv\n  path: ${file}\n  mapping: { txn_id: account, account: account, amount: status, currency: status, booked_at: status }\n`,
        operator(),
      ),
    ).rejects.toMatchObject({ code: status.PERMISSION_DENIED, details: expect.stringContaining('KYC register') });
    // no compliance frameworks (they are for transactions), no other sink table
    await expect(
      define(`name: kyc-aml\nsource: { kind: kyc, path: ${file} }\ncompliance: { frameworks: [AML] }\n`),
    ).rejects.toMatchObject({ details: expect.stringContaining('the frameworks apply to transaction jobs') });
    await expect(
      define(
        `name: tx-into-kyc\nsource:\n  kind: csv\n  path: ${file}\n  mapping: { txn_id: a, account: a, amount: a, currency: a, booked_at: a }\nsink: { table: kyc_customers }\n`,
      ),
    ).rejects.toMatchObject({
      details: expect.stringContaining('kyc_customers is loaded by a job of source kind kyc'),
    });
    const jobFile = writeTempFile(dir, 'kyc-job.yaml', `name: kyc-cli\nsource: { kind: kyc, path: ${file} }\n`);
    const ran = await runCli(['run', jobFile, '--json'], {
      STRONGROOM_ENGINE: engine.address,
      STRONGROOM_TOKEN: testToken('kyc-officer', ['operator', 'auditor']),
    });
    expect({ code: ran.code, stderr: ran.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(ran.stdout.trim().split('\n').pop() as string)).toMatchObject({
      status: 'SUCCEEDED',
      read: 1,
      loaded: 1,
    });
    expect((await register()).find((r) => r.account === 'BE68539007547034')).toMatchObject({ customer_id: 'C-11' });
  });
});
