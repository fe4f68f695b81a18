// @clock-sensitive: KYC expiry, reports over a period and alert ages; npm test runs this file again with the clock a year ahead.
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { Client } from 'pg';
import { verifyChain } from '@strongroom/audit';
import {
  AlertOrder,
  AlertStatus,
  createComplianceServiceClient,
  createJobServiceClient,
  RunStatus,
  type ComplianceServiceClient,
  type CancelRunRequest,
  type CancelRunResponse,
  type CreateJobRequest,
  type CreateJobResponse,
  type GetRunRequest,
  type GetRunResponse,
  type JobServiceClient,
  type ListAlertsRequest,
  type ListAlertsResponse,
  type RunJobRequest,
  type RunJobResponse,
  type ScreenNamesRequest,
  type ScreenNamesResponse,
  type TransitionAlertRequest,
  type TransitionAlertResponse,
} from '@strongroom/contract';
import {
  corpusDir,
  createTestDatabase,
  makeTempDir,
  querySql,
  runCli,
  startEngineProcess,
  testToken,
  unaryCall,
  writeTempFile,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';
import { sqlExec } from '@strongroom/db';

const LISTS = corpusDir('sanctions', 'ofactest');

/** ComplianceService through a real engine with sanctions lists loaded: alerts from a load, their lifecycle, screening. */
describe('ComplianceService (real engine)', () => {
  let db: TestDatabase;
  let engine: EngineProcess;
  let jobs: JobServiceClient;
  let compliance: ComplianceServiceClient;
  let runId: string;
  const dir = makeTempDir();
  const as = (actor: string) => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${testToken(actor.replace(/^user:/, ''))}`);
    return md;
  };
  const ALL: ListAlertsRequest = { rule: '', status: 0, runId: '', account: '', pageSize: 0, pageToken: '', order: 0 };
  const list = async (req: Partial<ListAlertsRequest>) =>
    (await unaryCall<ListAlertsRequest, ListAlertsResponse>(compliance, compliance.listAlerts, { ...ALL, ...req }))
      .alerts;
  const transition = (req: TransitionAlertRequest, actor = 'user:amlo') =>
    unaryCall<TransitionAlertRequest, TransitionAlertResponse>(
      compliance,
      compliance.transitionAlert,
      req,
      10_000,
      as(actor),
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: {
        STRONGROOM_HOME: `${dir}/home`,
        STRONGROOM_SANCTIONS_LISTS: `${LISTS}/sdn.csv,${LISTS}/alt.csv`,
        SCREENING_THRESHOLD: '0.9',
      },
    });
    jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    compliance = createComplianceServiceClient({ address: engine.address, token: engine.token });
    const csv = writeTempFile(
      dir,
      'aml.csv',
      [
        'id,account,counterparty,name,amount,currency,booked_at',
        'a1,DE89370400440532013000,,Elvis Angus LOGAN MOREY,120.00,USD,2026-04-01T10:00:00Z',
        'a2,DE89370400440532013000,,Grace Hopper,12000.00,USD,2026-04-01T11:00:00Z',
        'a3,DE89370400440532013000,KP0012345678901234,Ada Lovelace,10.00,USD,2026-04-01T12:00:00Z',
        'a4,DE89370400440532013000,,Alan Turing,10.00,USD,2026-04-01T13:00:00Z',
      ].join('\n') + '\n',
    );
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
      definition: `name: aml-grpc\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account, counterparty_account: counterparty, counterparty_name: name, amount: amount, currency: currency, booked_at: booked_at }\ncompliance: { frameworks: [AML] }\n`,
      baseDir: '',
    });
    runId = (await unaryCall<RunJobRequest, RunJobResponse>(jobs, jobs.runJob, { jobId: job.job?.id ?? '', file: '' }))
      .run?.id as string;
    for (;;) {
      const r = (await unaryCall<GetRunRequest, GetRunResponse>(jobs, jobs.getRun, { runId })).run;
      if (r && r.status !== RunStatus.RUN_STATUS_RUNNING && r.status !== RunStatus.RUN_STATUS_PENDING) {
        expect(r.status).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
        break;
      }
      await new Promise((res) => setTimeout(res, 100));
    }
  }, 90_000);
  afterAll(async () => {
    jobs?.close();
    compliance?.close();
    await engine?.stop();
    await db?.drop();
  });

  it('lists the alerts the load raised, with rule, score and evidence', async () => {
    const alerts = await list({ runId });
    expect(alerts.map((a) => `${a.rule}:${a.txnId}`).sort()).toEqual([
      'HIGH_RISK_JURISDICTION:a3',
      'LARGE_TRANSACTION:a2',
      'ROUND_AMOUNT:a2',
      'SANCTIONS:a1',
    ]);
    const sanctions = alerts.find((a) => a.rule === 'SANCTIONS');
    expect(sanctions).toMatchObject({ status: AlertStatus.ALERT_STATUS_OPEN, score: 100 });
    expect(JSON.parse(sanctions?.evidenceJson ?? '{}')).toMatchObject({
      matchedName: 'LOGAN MOREY, Elvis Angus',
      entryId: '10278',
      programs: ['SDNT'],
    });
    expect((await list({ rule: 'SANCTIONS' })).map((a) => a.txnId)).toEqual(['a1']);
    await expect(list({ rule: 'NOPE' })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    // the work queue: highest score first (a page of 2, then the next page continues the same order)
    const first = await unaryCall<ListAlertsRequest, ListAlertsResponse>(compliance, compliance.listAlerts, {
      ...ALL,
      runId,
      pageSize: 2,
      order: AlertOrder.ALERT_ORDER_PRIORITY,
    });
    const rest = await list({ runId, pageToken: first.nextPageToken, order: AlertOrder.ALERT_ORDER_PRIORITY });
    const scores = [...first.alerts, ...rest].map((a) => a.score);
    expect(scores).toHaveLength(4);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(first.alerts[0]?.rule).toBe('SANCTIONS');
    await expect(list({ runId, pageToken: first.nextPageToken })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT, // a queue's token does not continue the newest-first listing
    });
    await expect(list({ order: 7 as AlertOrder })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    // a forged token is a bad argument, not an internal error from the database
    const forged = Buffer.from(JSON.stringify({ t: '2026-01-01T00:00:00Z', id: 'not-a-uuid' })).toString('base64url');
    await expect(list({ pageToken: forged })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it('escalates and closes an alert with a reason, records who did it, and refuses what the lifecycle forbids', async () => {
    const [sanctions] = await list({ rule: 'SANCTIONS' });
    const id = sanctions?.id as string;
    await expect(transition({ id, to: AlertStatus.ALERT_STATUS_CLOSED, reason: '  ' })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    const escalated = await transition({
      id,
      to: AlertStatus.ALERT_STATUS_ESCALATED,
      reason: 'possible SDN match, refer to MLRO',
    });
    expect(escalated.alert).toMatchObject({
      status: AlertStatus.ALERT_STATUS_ESCALATED,
      statusChangedBy: 'user:amlo',
      statusReason: 'possible SDN match, refer to MLRO',
    });
    const closed = await transition(
      { id, to: AlertStatus.ALERT_STATUS_CLOSED, reason: 'true match; SAR filed' },
      'user:mlro',
    );
    expect(closed.alert).toMatchObject({ status: AlertStatus.ALERT_STATUS_CLOSED, statusChangedBy: 'user:mlro' });
    const again = await transition({ id, to: AlertStatus.ALERT_STATUS_ESCALATED, reason: 'reopen' }).catch(
      (e: ServiceError) => e,
    );
    expect(again).toMatchObject({ code: status.FAILED_PRECONDITION });
    expect((again as ServiceError).details).toMatch(/CLOSED; it cannot become ESCALATED/);
    await expect(
      transition({ id: '00000000-0000-4000-8000-000000000000', to: AlertStatus.ALERT_STATUS_CLOSED, reason: 'x' }),
    ).rejects.toMatchObject({ code: status.NOT_FOUND });

    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const { rows } = await pg.query(
        `SELECT actor, action, details->>'reason' AS reason FROM immutable_audit_log WHERE subject->>'alertId' = $1 ORDER BY seq`,
        [id],
      );
      expect(rows).toEqual([
        { actor: 'user:amlo', action: 'alert:escalated', reason: 'possible SDN match, refer to MLRO' },
        { actor: 'user:mlro', action: 'alert:closed', reason: 'true match; SAR filed' },
      ]);
      const loaded = await pg.query(`SELECT details FROM immutable_audit_log WHERE action = 'sanctions:loaded'`);
      expect(loaded.rows[0].details.sources.map((s: { sha256: string }) => s.sha256)).toHaveLength(2);
      expect((await verifyChain(sqlExec(pg))).ok).toBe(true);
    } finally {
      await pg.end();
    }
  });

  it('screens names against the loaded lists over gRPC, and the CLI lists and closes alerts', async () => {
    const r = await unaryCall<ScreenNamesRequest, ScreenNamesResponse>(compliance, compliance.screenNames, {
      names: ['moreno daniel', 'Grace Hopper'],
      threshold: 0,
    });
    expect(r.threshold).toBe(0.9);
    expect(r.results.map((x) => [x.name, x.hit, x.entryId])).toEqual([
      ['moreno daniel', true, '15102'],
      ['Grace Hopper', false, r.results[1]?.entryId],
    ]);
    const env = { STRONGROOM_ENGINE: engine.address, STRONGROOM_TOKEN: engine.token };
    const listed = await runCli(['alerts', 'list', '--run', runId, '--rule', 'LARGE_TRANSACTION', '--json'], env);
    expect(listed.code).toBe(0);
    const [large] = (
      JSON.parse(listed.stdout) as { alerts: { id: string; status: string; evidence: { usdEquivalent: string } }[] }
    ).alerts;
    expect(large).toMatchObject({ status: 'OPEN', evidence: { usdEquivalent: '12000.00' } });
    // --priority: the work queue's order, highest score first
    const queue = await runCli(['alerts', 'list', '--run', runId, '--priority', '--json'], env);
    expect(queue.code).toBe(0);
    const listedQueue = JSON.parse(queue.stdout) as { alerts: { score: number }[]; more: boolean };
    expect(listedQueue.more).toBe(false);
    const scores = listedQueue.alerts.map((a) => a.score);
    expect(scores.length).toBeGreaterThan(1);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(scores[0]).toBe(100);
    // past 10,000 the CLI stops and says so, on stderr and in its JSON
    const [many] = await querySql<{ run_id: string }>(
      db.url,
      `WITH r AS (INSERT INTO job_runs (id, job_id, job_version, status, source_path, source_sha256, source_bytes)
                  SELECT gen_random_uuid(), job_id, job_version, 'SUCCEEDED', 'grpc', repeat('c', 64), 0
                    FROM job_runs WHERE id = $1 RETURNING id)
       INSERT INTO compliance_alerts (rule, dedupe_key, score, source_system, txn_id, account, booked_at, job_id, run_id, evidence)
       SELECT 'ROUND_AMOUNT', 'many:' || i, 20, 'many', 'many:' || i, 'ACC', now(), j.job_id, r.id, '{}'
         FROM r, (SELECT job_id FROM job_runs WHERE id = $1) j, generate_series(1, 10001) i
       RETURNING run_id`,
      [runId],
    );
    const capped = await runCli(['alerts', 'list', '--run', many?.run_id as string, '--json'], env);
    expect(capped.code).toBe(0);
    const cappedList = JSON.parse(capped.stdout) as { alerts: unknown[]; more: boolean };
    expect({ listed: cappedList.alerts.length, more: cappedList.more }).toEqual({ listed: 10_000, more: true });
    expect(capped.stderr).toContain('the first 10,000 alerts (newest first) are listed; more match');
    // a reader that stops early (| head) ends the listing quietly, with the command's own code
    const headed = await runCli(['alerts', 'list', '--run', many?.run_id as string], env, 1000);
    expect(headed.code).toBe(0);
    expect(headed.stderr).not.toMatch(/EPIPE|Error/);
    const closed = await runCli(
      ['alerts', 'close', large?.id as string, '--reason', 'salary bonus, documented', '--json'],
      env,
    );
    expect(closed.code).toBe(0);
    expect(JSON.parse(closed.stdout).alert).toMatchObject({
      status: 'CLOSED',
      statusReason: 'salary bonus, documented',
    });
    const usage = await runCli(['alerts', 'close', large?.id as string], env);
    expect(usage.code).toBe(2);
  }, 60_000);

  it('places, lists and releases a legal hold and runs a purge from the CLI, each audited', async () => {
    const env = { STRONGROOM_ENGINE: engine.address, STRONGROOM_TOKEN: engine.token };
    const placed = await runCli(
      ['hold', 'place', 'account', 'DE89370400440532013000', '--reason', 'litigation hold L-1', '--json'],
      env,
    );
    expect(placed.code).toBe(0);
    const { hold, coveredRows } = JSON.parse(placed.stdout) as {
      hold: { id: string; scope: string };
      coveredRows: number;
    };
    expect({ scope: hold.scope, coveredRows }).toEqual({ scope: 'ACCOUNT', coveredRows: 4 });
    const listed = await runCli(['hold', 'list', '--json'], env);
    expect((JSON.parse(listed.stdout) as { holds: { id: string }[] }).holds.map((h) => h.id)).toEqual([hold.id]);
    const dry = await runCli(['retention', 'purge', '--dry-run', '--json'], env);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, purged: 0 });
    const purge = await runCli(['retention', 'purge', '--json'], env);
    expect(JSON.parse(purge.stdout)).toMatchObject({ dryRun: false, purged: 0 }); // 2026 rows are within 7 years
    const released = await runCli(['hold', 'release', hold.id, '--reason', 'case closed', '--json'], env);
    expect(JSON.parse(released.stdout).hold).toMatchObject({
      releasedBy: 'user:test-admin', // the CLI's token subject, never $USER
      releaseReason: 'case closed',
    });
    expect((await runCli(['hold', 'place', 'account', 'X'], env)).code).toBe(2); // no reason
  }, 60_000);

  it('reports per framework and period, as JSON and CSV, from the CLI', async () => {
    const env = { STRONGROOM_ENGINE: engine.address, STRONGROOM_TOKEN: engine.token };
    const period = ['--from', '2000-01-01', '--to', '2100-12-31'];
    const report = async (framework: string) => {
      const r = await runCli(['report', framework, ...period, '--json'], env);
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout) as {
        framework: string;
        summary: Record<string, unknown>;
        sections: { name: string; rows: Record<string, unknown>[] }[];
      };
    };
    const sox = await report('SOX');
    expect(sox.summary).toMatchObject({ auditChainVerified: true, jobDefinitionChanges: 1 });
    expect(sox.sections.find((x) => x.name.startsWith('access'))?.rows).toEqual(
      expect.arrayContaining([expect.objectContaining({ actor: 'user:amlo', action: 'alert:escalated', count: 1 })]),
    );
    const aml = await report('AML');
    expect(aml.summary).toMatchObject({ largeTransactions: 1, escalations: 1 });
    expect(aml.sections.find((x) => x.name === 'alerts by rule')?.rows).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule: 'SANCTIONS', alerts: 1, closed: 1 })]),
    );
    expect(aml.sections.find((x) => x.name === 'large transactions')?.rows[0]).toMatchObject({
      txn_id: 'a2',
      amount: '12000.00',
      currency: 'USD',
    });
    const pci = await report('PCI_DSS');
    expect(pci.summary).toMatchObject({ panScanClean: true, valuesWithCardNumbers: 0 });
    expect(Number(pci.summary['valuesScanned'])).toBeGreaterThan(4);
    expect(Number(pci.summary['tablesScanned'])).toBeGreaterThan(10);
    expect(pci.sections.find((x) => x.name === 'keys')?.rows).toHaveLength(2);
    const kyc = await report('KYC');
    expect(kyc.summary).toMatchObject({ accounts: 1, withValidKyc: 0, coveragePercent: 0 });
    const csv = await runCli(['report', 'AML', ...period, '--csv'], env);
    expect(csv.code).toBe(0);
    const lines = csv.stdout.trim().split('\r\n');
    expect(lines[0]).toBe('section,row,column,value');
    expect(lines).toContain('summary,0,largeTransactions,1');
    expect((await runCli(['report', 'GDPR', ...period], env)).code).toBe(1); // INVALID_ARGUMENT from the engine
    expect((await runCli(['report', 'SOX'], env)).code).toBe(2);
  }, 90_000);

  it('withdraws the alerts of a run that failed, so the corrected re-run raises its own', async () => {
    const header = 'id,account,counterparty,name,amount,currency,booked_at';
    const big = (i: number) => `r${i},GB29NWBK60161331926819,,Grace Hopper,${20000 + i}.00,USD,2026-04-02T10:00:00Z`;
    const bad = (i: number) => `x${i},GB29NWBK60161331926819,,Grace Hopper,not-an-amount,USD,2026-04-02T10:00:00Z`;
    const runFile = async (name: string, rows: string[]) => {
      const file = writeTempFile(dir, name, [header, ...rows].join('\n') + '\n');
      const job = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
        definition: `name: rerun-alerts\nsource:\n  kind: csv\n  path: ${file}\n  mapping: { txn_id: id, account: account, counterparty_account: counterparty, counterparty_name: name, amount: amount, currency: currency, booked_at: booked_at }\nbatching: { minSize: 5, maxSize: 5 }\nerrors: { maxRejectRatio: 0.1 }\ncompliance: { frameworks: [AML] }\n`,
        baseDir: '',
      });
      const id = (
        await unaryCall<RunJobRequest, RunJobResponse>(jobs, jobs.runJob, { jobId: job.job?.id ?? '', file: '' })
      ).run?.id as string;
      for (;;) {
        const r = (await unaryCall<GetRunRequest, GetRunResponse>(jobs, jobs.getRun, { runId: id })).run;
        if (r && r.status !== RunStatus.RUN_STATUS_RUNNING && r.status !== RunStatus.RUN_STATUS_PENDING) return r;
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    // ten large transactions, then too many bad rows: the batches with the large ones commit (and raise
    // their alerts), the run fails its reject ratio at the end and publishes nothing
    const failed = await runFile('rerun-1.csv', [
      ...Array.from({ length: 10 }, (_, i) => big(i)),
      ...Array.from({ length: 5 }, (_, i) => bad(i)),
    ]);
    expect(failed).toMatchObject({ status: RunStatus.RUN_STATUS_FAILED, errorCode: 'REJECT_RATIO_EXCEEDED' });
    expect((await list({ runId: failed.id })).length).toBe(0);
    // the corrected file: the same ten large transactions load, and raise their ten alerts again
    const fixed = await runFile(
      'rerun-2.csv',
      Array.from({ length: 10 }, (_, i) => big(i)),
    );
    expect(fixed.status).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
    expect((await list({ runId: fixed.id, rule: 'LARGE_TRANSACTION' })).length).toBe(10);
  });

  it('withdraws the alerts of a cancelled run with its rows', async () => {
    const header = 'id,account,counterparty,name,amount,currency,booked_at';
    const rows = Array.from(
      { length: 10 },
      (_, i) => `c${i},GB29NWBK60161331926819,,Grace Hopper,${30000 + i}.00,USD,2026-04-03T10:00:00Z`,
    );
    const file = writeTempFile(dir, 'cancelled-alerts.csv', [header, ...rows].join('\n') + '\n');
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
      definition: `name: cancelled-alerts\nsource:\n  kind: csv\n  path: ${file}\n  mapping: { txn_id: id, account: account, counterparty_account: counterparty, counterparty_name: name, amount: amount, currency: currency, booked_at: booked_at }\nbatching: { minSize: 5, maxSize: 5 }\ncompliance: { frameworks: [AML] }\n`,
      baseDir: '',
    });
    // the first batch's alerts wait on a lock the test holds; the cancel is asked meanwhile, so it lands
    // after that batch committed its five alerts and before the second batch
    const lock = new Client({ connectionString: db.url });
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE compliance_alerts IN EXCLUSIVE MODE');
    let runId = '';
    let cancel: Promise<CancelRunResponse> | undefined;
    try {
      runId = (
        await unaryCall<RunJobRequest, RunJobResponse>(jobs, jobs.runJob, { jobId: job.job?.id ?? '', file: '' })
      ).run?.id as string;
      for (let i = 0; i < 200; i++) {
        const waiting = await querySql<{ n: number }>(
          db.url,
          `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
            WHERE c.relname = 'compliance_alerts' AND NOT l.granted`,
        );
        if (waiting[0]?.n) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      cancel = unaryCall<CancelRunRequest, CancelRunResponse>(jobs, jobs.cancelRun, { runId, reason: '' });
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await lock.query('ROLLBACK');
      await lock.end();
    }
    await cancel;
    let run: GetRunResponse['run'];
    for (let i = 0; i < 100; i++) {
      run = (await unaryCall<GetRunRequest, GetRunResponse>(jobs, jobs.getRun, { runId })).run;
      if (run?.status === RunStatus.RUN_STATUS_CANCELLED) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(run).toMatchObject({ status: RunStatus.RUN_STATUS_CANCELLED, loaded: 5, inSink: 0 });
    expect((await list({ runId })).length).toBe(0);
    const [cancelled] = await querySql<{ details: { withdrawnAlerts: number; unpublishedRows: number } }>(
      db.url,
      `SELECT details FROM immutable_audit_log WHERE action = 'run:cancelled' AND subject->>'runId' = $1`,
      [runId],
    );
    // the first batch's five large transactions (and what other rules raised on them) went with its rows
    expect(cancelled?.details.unpublishedRows).toBe(5);
    expect(cancelled?.details.withdrawnAlerts).toBeGreaterThanOrEqual(5);
  });
});
