import { Client } from 'pg';
import fs from 'node:fs';
import { Metadata, credentials, makeGenericClientConstructor, status, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import {
  createDeadLetterServiceClient,
  createJobServiceClient,
  deadlineIn,
  RunStatus,
  type JobServiceClient,
  type Run,
  type WatchRunResponse,
} from '@strongroom/contract';
import {
  createTestDatabase,
  holdTableLock,
  makeTempDir,
  startEngineProcess,
  waitForLockWaiter,
  writeTempFile,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

const HEADER = 'id,account,amount,currency,booked_at';
const good = (i: number) =>
  `tx-${i},ACC${i % 7},${i}.${String(i % 100).padStart(2, '0')},EUR,2026-01-${String((i % 28) + 1).padStart(2, '0')}T08:00:00Z`;

const call = <Req, Res>(
  fn: (req: Req, md: Metadata, opts: { deadline: Date }, cb: (e: ServiceError | null, r: Res) => void) => unknown,
  req: Req,
) =>
  new Promise<Res>((resolve, reject) =>
    fn(req, new Metadata(), { deadline: deadlineIn(10_000) }, (e, r) => (e ? reject(e) : resolve(r))),
  );

describe('JobService over gRPC (real engine, real PostgreSQL)', () => {
  let db: TestDatabase;
  let engine: EngineProcess;
  let client: JobServiceClient;
  const dir = makeTempDir();

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { STRONGROOM_HOME: `${dir}/home`, ENGINE_MAX_CONCURRENT_RUNS: '2' },
    });
    client = createJobServiceClient({ address: engine.address, token: engine.token });
  });
  afterAll(async () => {
    client?.close();
    expect(await engine?.stop()).toBe(0); // graceful shutdown exits 0
    await db?.drop();
  });

  const jobYaml = (name: string, csv: string) =>
    `name: ${name}\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account, amount: amount, currency: currency, booked_at: booked_at }\nbatching: { minSize: 100, maxSize: 1000 }\n`;

  async function waitDone(runId: string): Promise<Run> {
    const updates: Run[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = client.watchRun({ runId }, { deadline: deadlineIn(60_000) });
      stream.on('data', (m: WatchRunResponse) => m.run && updates.push(m.run));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    return updates[updates.length - 1] as Run;
  }

  it('creates a job, runs it, streams progress to the end and reports conserved counts', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => good(i + 1));
    rows.splice(100, 0, 'bad-1,ACC1,12.3.4,EUR,2026-01-01T00:00:00Z', 'bad-2,ACC1,1.00,EUR,2026-13-01T00:00:00Z');
    const csv = writeTempFile(dir, 'run.csv', [HEADER, ...rows].join('\n') + '\n');
    const created = await call(client.createJob.bind(client), { definition: jobYaml('grpc-e2e', csv), baseDir: '' });
    expect(created.created).toBe(true);
    expect(created.job?.version).toBe(1);
    const again = await call(client.createJob.bind(client), { definition: jobYaml('grpc-e2e', csv), baseDir: '' });
    expect(again).toMatchObject({ created: false, job: { id: created.job?.id, version: 1 } });

    const started = await call(client.runJob.bind(client), { jobId: created.job?.id ?? '', file: '' });
    expect(started.existing).toBe(false);
    const final = await waitDone(started.run?.id ?? '');
    expect(final).toMatchObject({
      status: RunStatus.RUN_STATUS_SUCCEEDED,
      read: 2502,
      loaded: 2500,
      deadLettered: 2,
      filtered: 0,
      jobName: 'grpc-e2e',
    });
    expect(final.reconciliation?.reconciled).toBe(true);
    expect(final.reconciliation?.sinkTotals).toEqual([
      { currency: 'EUR', count: 2500, amount: expect.stringMatching(/^\d+\.\d{2}$/) },
    ]);

    const fetched = await call(client.getRun.bind(client), { runId: final.id });
    expect(fetched.run).toMatchObject({ read: 2502, loaded: 2500, deadLettered: 2 });

    // its throughput after the fact: every record read, over steps since it started, enough to draw a line
    const throughput = await call(client.getRunThroughput.bind(client), { runId: final.id });
    expect(throughput.points.length).toBeGreaterThanOrEqual(2);
    const records = throughput.points.reduce((n, p) => n + p.recordsPerSecond * throughput.stepSeconds, 0);
    expect(Math.round(records)).toBe(2502);
    expect(throughput.points.map((p) => p.seconds)).toEqual(
      throughput.points.map((_, k) => Number(((k + 1) * throughput.stepSeconds).toFixed(10))),
    );

    const resubmitted = await call(client.runJob.bind(client), { jobId: created.job?.id ?? '', file: '' });
    expect(resubmitted).toMatchObject({ existing: true, run: { id: final.id } });
  });

  it("runs the job's current version on another file (a new day's feed) with no new version, each file once", async () => {
    const day1 = writeTempFile(dir, 'feed-2026-12-01.csv', [HEADER, good(501), good(502)].join('\n') + '\n');
    const day2 = writeTempFile(dir, 'feed-2026-12-02.csv', [HEADER, good(601), good(602), good(603)].join('\n') + '\n');
    const created = await call(client.createJob.bind(client), { definition: jobYaml('daily-feed', day1), baseDir: '' });
    const jobId = created.job?.id ?? '';
    const first = await call(client.runJob.bind(client), { jobId, file: '' });
    expect((await waitDone(first.run?.id ?? '')).loaded).toBe(2);
    // the next day's file, relative to the directory of the job's source: the same job version
    const second = await call(client.runJob.bind(client), { jobId, file: 'feed-2026-12-02.csv' });
    expect(second.existing).toBe(false);
    expect(second.run).toMatchObject({ jobVersion: 1, sourcePath: day2 });
    const done = await waitDone(second.run?.id ?? '');
    expect(done).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: 3, loaded: 3, jobVersion: 1 });
    // the same file again, by its absolute path, or a copy of it under another name: the run it already had
    const copy = writeTempFile(dir, 'feed-copy.csv', fs.readFileSync(day2, 'utf8'));
    for (const file of [day2, copy])
      expect(await call(client.runJob.bind(client), { jobId, file })).toMatchObject({
        existing: true,
        run: { id: done.id },
      });
    const job = await call(client.getJob.bind(client), { jobId });
    expect(job.job?.version).toBe(1);
    await expect(call(client.runJob.bind(client), { jobId, file: 'no-such-feed.csv' })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
  });

  it('loads a JSON lines file by JSON path with exact sums, one bad line costing one record, and replays a corrected line', async () => {
    const lines = [
      '{"id":"j1","account":"ACC1","amount":{"value":12.30,"currency":"EUR"},"booked":"2026-01-05T08:00:00Z","card":{"cvv":"123"}}',
      '{"id":"j2","account":"ACC1","amount":{"value":12345678901234.99,"currency":"EUR"},"booked":"2026-01-05T09:00:00Z"}',
      '{"id":"j3","account":"ACC2","amount":{"value":"0.01","currency":"EUR"},"booked":"2026-01-06T10:00:00Z"}',
      '{"id":"j4","account":"ACC2","amount":{"value":5,"currency":"EUR"},"booked":',
      '{"id":"j5","account":"ACC2","amount":{"value":1e3,"currency":"EUR"},"booked":"2026-01-06T10:00:00Z"}',
      '',
      '{"id":"j6","account":"ACC3","amount":{"value":-7.5,"currency":"USD"},"booked":"2026-01-07T10:00:00Z"}',
    ];
    const file = writeTempFile(dir, 'feed.jsonl', `${lines.join('\n')}\n`);
    const created = await call(client.createJob.bind(client), {
      definition: `name: jsonl-feed\nsource:\n  kind: jsonl\n  path: ${file}\n  mapping: { txn_id: $.id, account: account, amount: $.amount.value, currency: $.amount.currency, booked_at: $.booked }\nerrors: { maxRejectRatio: 0.5 }\n`,
      baseDir: '',
    });
    const started = await call(client.runJob.bind(client), { jobId: created.job?.id ?? '', file: '' });
    const done = await waitDone(started.run?.id ?? '');
    // 6 records (the blank line is none): j4 is not JSON, j5's 1e3 is not a plain decimal
    expect(done).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: 6, loaded: 4, deadLettered: 2 });
    expect(done.reconciliation?.reconciled).toBe(true);
    expect(done.reconciliation?.sinkTotals).toEqual(
      expect.arrayContaining([
        { currency: 'EUR', count: 3, amount: '12345678901247.30' },
        { currency: 'USD', count: 1, amount: '-7.50' },
      ]),
    );
    const dlq = createDeadLetterServiceClient({ address: engine.address, token: engine.token });
    try {
      const listed = await call(dlq.listDeadLetters.bind(dlq), {
        runId: done.id,
        jobId: '',
        status: 0,
        reasonCode: '',
        pageSize: 10,
        pageToken: '',
      });
      expect(listed.deadLetters.map((d) => [d.recordNo, d.reasonCode])).toEqual([
        [4, 'MALFORMED_JSON'],
        [5, 'INVALID_AMOUNT'],
      ]);
      const j4 = listed.deadLetters[0]?.id ?? '';
      const replayed = await call(dlq.replayDeadLetters.bind(dlq), {
        ids: [j4],
        runId: '',
        corrections: [
          {
            id: j4,
            rawRecord:
              '{"id":"j4","account":"ACC2","amount":{"value":5.00,"currency":"EUR"},"booked":"2026-01-06T11:00:00Z"}',
          },
        ],
        reason: 'line completed from the bank',
      });
      expect(replayed.outcomes).toEqual([expect.objectContaining({ id: j4, outcome: 'LOADED' })]);
    } finally {
      dlq.close();
    }
    const job = await call(client.getJob.bind(client), { jobId: created.job?.id ?? '' });
    expect(job.job?.sourceKind).toBe('jsonl');
  });

  it('loads concatenated MT940 statements with a Ctrl-Z between them under strictness: lenient, refuses them strictly', async () => {
    const stmt = (ref: string, seq: string, open: string, line: string, close: string) =>
      [`:20:${ref}`, ':25:DE89370400440532013000', `:28C:${seq}`, `:60F:${open}`, line, `:62F:${close}`, '-', ''].join(
        '\r\n',
      );
    const file = writeTempFile(
      dir,
      'joined.sta',
      `${stmt('R1', '1/1', 'C240101EUR100,00', ':61:2401020102C10,00NTRFNONREF', 'C240102EUR110,00')}\x1a${stmt('R2', '2/1', 'C240102EUR110,00', ':61:2401030103D5,00', 'C240103EUR105,00')}\x1a`,
    );
    const run = async (name: string, strictness: string) => {
      const job = await call(client.createJob.bind(client), {
        definition: `name: ${name}\nsource: { kind: mt940, path: ${file}${strictness ? `, strictness: ${strictness}` : ''} }\n`,
        baseDir: '',
      });
      const started = await call(client.runJob.bind(client), { jobId: job.job?.id ?? '', file: '' });
      return waitDone(started.run?.id ?? '');
    };
    const loose = await run('mt940-lenient', 'lenient');
    expect(loose).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: 2, loaded: 2 });
    expect(loose.reconciliation?.sinkTotals).toEqual([{ currency: 'EUR', count: 2, amount: '5.00' }]);
    const strict = await run('mt940-strict', '');
    expect(strict.status).toBe(RunStatus.RUN_STATUS_FAILED);
    expect(strict.errorMessage).toContain('strictness: lenient');
  });

  it('loads a real-world camt.053 (envelope, one line, no Sts, signed amounts) only under lenient, never one that does not balance', async () => {
    const NS = 'urn:iso:std:iso:20022:tech:xsd:camt.053.001.08';
    const bal = (code: string, amt: string) =>
      `<Bal><Tp><CdOrPrtry><Cd>${code}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">${amt}</Amt><Dt><Dt>2026-03-02</Dt></Dt></Bal>`;
    const ntry = (ref: string, amt: string) =>
      `<Ntry><Amt Ccy="EUR">${amt}</Amt><BookgDt><Dt>2026-03-02</Dt></BookgDt><AcctSvcrRef>${ref}</AcctSvcrRef></Ntry>`;
    // as a bank's export arrives: a Business Application Header envelope, the message on one line, entries
    // without Sts and CdtDbtInd, debits written with a minus, balances without CdtDbtInd
    const statement = (closing: string) =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<BizMsgEnvlp><AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02"><BizMsgIdr>B-1</BizMsgIdr><MsgDefIdr>camt.053.001.08</MsgDefIdr><CreDt>2026-03-02T06:00:00Z</CreDt></AppHdr>` +
      `<Document xmlns="${NS}"><BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-02T06:00:00</CreDtTm></GrpHdr><Stmt><Id>LT-1</Id>` +
      `<Acct><Id><IBAN>LT121000011101001000</IBAN></Id></Acct>${bal('OPBD', '1000.00')}${bal('CLBD', closing)}` +
      `${ntry('A1', '250.10')}${ntry('A2', '-100.05')}${ntry('A3', '-49.95')}</Stmt></BkToCstmrStmt></Document></BizMsgEnvlp>\n`;
    const good = writeTempFile(dir, 'lt-export.xml', statement('1100.10'));
    const unbalanced = writeTempFile(dir, 'lt-export-wrong.xml', statement('1100.11'));
    const run = async (name: string, file: string, strictness: string) => {
      const job = await call(client.createJob.bind(client), {
        definition: `name: ${name}\nsource: { kind: camt053, path: ${file}${strictness ? `, strictness: ${strictness}` : ''} }\n`,
        baseDir: '',
      });
      const started = await call(client.runJob.bind(client), { jobId: job.job?.id ?? '', file: '' });
      return waitDone(started.run?.id ?? '');
    };
    const loose = await run('lt-lenient', good, 'lenient');
    expect(loose).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: 3, loaded: 3 });
    expect(loose.reconciliation?.sinkTotals).toEqual([{ currency: 'EUR', count: 3, amount: '100.10' }]);
    // the warnings are kept with the evidence of the reconciliation
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const { rows } = await pg.query(
        `SELECT details->'warnings' AS warnings FROM immutable_audit_log WHERE action = 'source:reconciled' AND subject->>'runId' = $1`,
        [loose.id],
      );
      expect(rows[0]?.warnings).toEqual(
        expect.arrayContaining([
          '3 entries without Sts read as booked (strictness: lenient)',
          expect.stringMatching(
            /^5 amounts without CdtDbtInd read by their sign \(strictness: lenient\): 2 written with their sign/,
          ),
        ]),
      );
    } finally {
      await pg.end();
    }
    // strictly refused, located in the one-line document
    const strict = await run('lt-strict', good, '');
    expect(strict).toMatchObject({ status: RunStatus.RUN_STATUS_FAILED, errorCode: 'SOURCE_MALFORMED' });
    expect(strict.errorMessage).toMatch(/\/Document\/BkToCstmrStmt\/Stmt\[1\]\/Bal\[1\] \(line 2, column \d+\)/);
    // a closing balance one cent off fails in both modes, and nothing loads
    for (const [name, strictness] of [
      ['lt-wrong-lenient', 'lenient'],
      ['lt-wrong-strict', ''],
    ] as const) {
      const r = await run(name, unbalanced, strictness);
      expect(r).toMatchObject({ status: RunStatus.RUN_STATUS_FAILED, inSink: 0 });
      expect(['SOURCE_NOT_RECONCILED', 'SOURCE_MALFORMED']).toContain(r.errorCode);
    }
  });

  it('lists jobs and runs with pagination', async () => {
    const jobs = await call(client.listJobs.bind(client), { pageSize: 1, pageToken: '', jobIds: [] });
    expect(jobs.jobs).toHaveLength(1);
    const runs = await call(client.listRuns.bind(client), {
      jobId: '',
      status: RunStatus.RUN_STATUS_SUCCEEDED,
      pageSize: 10,
      pageToken: '',
    });
    expect(runs.runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.runs.every((r) => r.status === RunStatus.RUN_STATUS_SUCCEEDED)).toBe(true);
  });

  it('refuses a call without a deadline', async () => {
    const err = await new Promise<ServiceError | null>((resolve) => client.getRun({ runId: 'x' }, (e) => resolve(e)));
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT, details: expect.stringContaining('needs a deadline') });
  });

  it('answers bad requests with precise status codes and no internals', async () => {
    await expect(call(client.getRun.bind(client), { runId: 'nope' })).rejects.toMatchObject({
      code: status.NOT_FOUND,
      details: 'run nope not found',
    });
    const bad = call(client.createJob.bind(client), {
      definition:
        'name: x\nsource: { kind: csv, path: /tmp/x.csv, mapping: {} }\nbatching: { minSize: 10, maxSize: 5 }',
      baseDir: '',
    });
    await expect(bad).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(bad).rejects.toThrow(/batching\.maxSize must be ≥ minSize/);
    const err = (await call(client.runJob.bind(client), { jobId: '', file: '' }).catch(
      (e: ServiceError) => e,
    )) as ServiceError;
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.metadata.get('x-strongroom-error-code')).toEqual(['INVALID_ARGUMENT']);
    const missing = writeTempFile(dir, 'gone.csv', `${HEADER}\n`);
    const job = await call(client.createJob.bind(client), { definition: jobYaml('gone', missing), baseDir: '' });
    fs.rmSync(missing);
    await expect(call(client.runJob.bind(client), { jobId: job.job?.id ?? '', file: '' })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: expect.stringContaining('cannot be read (ENOENT)'),
    });
  });

  it('cancels a queued run and refuses to cancel a finished one', async () => {
    const csv = writeTempFile(dir, 'cancel.csv', [HEADER, good(1)].join('\n'));
    const job = await call(client.createJob.bind(client), { definition: jobYaml('cancel-me', csv), baseDir: '' });
    const run = await call(client.runJob.bind(client), { jobId: job.job?.id ?? '', file: '' });
    const done = await waitDone(run.run?.id ?? '');
    await expect(call(client.cancelRun.bind(client), { runId: done.id, reason: '' })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
  });

  it('serves grpc.health.v1', async () => {
    const HealthClient = makeGenericClientConstructor(healthService, 'Health');
    const health = new HealthClient(engine.address, credentials.createInsecure()) as unknown as {
      check(
        req: { service: string },
        opts: { deadline: Date },
        cb: (e: Error | null, r: { status: string }) => void,
      ): void;
      close(): void;
    };
    const res = await new Promise<{ status: string }>((resolve, reject) =>
      health.check({ service: 'strongroom.engine.v1.JobService' }, { deadline: deadlineIn(5000) }, (e, r) =>
        e ? reject(e) : resolve(r),
      ),
    );
    health.close();
    expect(res.status).toBe('SERVING');
  });

  it('yields exactly one run and one copy of the rows when the same file is submitted 10 times at once', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => good(i + 10_000));
    const csv = writeTempFile(dir, 'tenfold.csv', [HEADER, ...rows].join('\n'));
    const job = await call(client.createJob.bind(client), { definition: jobYaml('tenfold', csv), baseDir: '' });
    const runs = await Promise.all(
      Array.from({ length: 10 }, () => call(client.runJob.bind(client), { jobId: job.job?.id ?? '', file: '' })),
    );
    expect(new Set(runs.map((r) => r.run?.id)).size).toBe(1);
    expect(runs.filter((r) => !r.existing)).toHaveLength(1);
    const final = await waitDone(runs[0]?.run?.id ?? '');
    expect(final).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: 3000, loaded: 3000 });
    const listed = await call(client.listRuns.bind(client), {
      jobId: job.job?.id ?? '',
      status: RunStatus.RUN_STATUS_UNSPECIFIED,
      pageSize: 50,
      pageToken: '',
    });
    expect(listed.runs).toHaveLength(1);
  });

  /**
   * Creates a job `name` over 20,000 good rows (ids from `firstId`) in batches of 500 and runs it with its first
   * batch waiting on a lock the test holds, so that `act` lands while the run runs (however fast or slow the
   * machine is): once that batch waits on the lock, `act` is sent, and the batch let go a moment later (the engine
   * obeys a pause or cancel before each commit, so the held batch commits and the next does not).
   */
  async function whileFirstBatchHeld<T>(name: string, firstId: number, act: (runId: string) => Promise<T>) {
    const rows = Array.from({ length: 20_000 }, (_, i) => good(i + firstId));
    const csv = writeTempFile(dir, `${name}.csv`, [HEADER, ...rows].join('\n'));
    const job = await call(client.createJob.bind(client), {
      definition: jobYaml(name, csv).replace('minSize: 100, maxSize: 1000', 'minSize: 500, maxSize: 500'),
      baseDir: '',
    });
    const jobId = job.job?.id ?? '';
    const release = await holdTableLock(db.url, 'transactions');
    let runId = '';
    let acting: Promise<T> | undefined;
    try {
      const started = await call(client.runJob.bind(client), { jobId, file: '' });
      runId = started.run?.id ?? '';
      // RUNNING comes before the plan is read and the first batch is cut: act only once that batch waits
      await waitForLockWaiter(db.url, 'transactions');
      acting = act(runId);
      acting.catch(() => undefined); // awaited below, after the lock is let go
      await new Promise((res) => setTimeout(res, 300));
    } finally {
      await release();
    }
    return { runId, result: await (acting as Promise<T>) };
  }

  it('pauses a running run after its batch and resumes it to the end', async () => {
    // a reason is audited and shown as the status reason, a card number in it masked
    const { runId } = await whileFirstBatchHeld('pausable', 50_000, (id) =>
      call(client.pauseRun.bind(client), { runId: id, reason: '  month-end freeze, ticket for 4111111111111111 ' }),
    );
    let paused = (await call(client.getRun.bind(client), { runId })).run;
    for (let i = 0; paused?.status !== RunStatus.RUN_STATUS_PAUSED && i < 200; i++) {
      await new Promise((res) => setTimeout(res, 20));
      paused = (await call(client.getRun.bind(client), { runId })).run;
    }
    expect(paused).toMatchObject({
      status: RunStatus.RUN_STATUS_PAUSED,
      statusReason: 'paused by operator: month-end freeze, ticket for 411111******1111',
    });
    expect(paused?.read).toBeGreaterThan(0); // it paused in the middle: after the held batch, before the end
    expect(paused?.read).toBeLessThan(20_000);
    await new Promise((res) => setTimeout(res, 300));
    const still = (await call(client.getRun.bind(client), { runId })).run;
    expect(still?.read).toBe(paused?.read); // nothing moves while paused
    await expect(call(client.pauseRun.bind(client), { runId, reason: '' })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
    });
    await expect(call(client.resumeRun.bind(client), { runId, reason: 'x'.repeat(2001) })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'the reason must be at most 2000 characters',
    });
    await call(client.resumeRun.bind(client), { runId, reason: 'freeze lifted' });
    const final = await waitDone(runId);
    expect(final).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: 20_000, loaded: 20_000 });
    // the person who asked is the actor of the request, the pause and the resume; the engine of the rest
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const entries = (
        await pg.query(
          `SELECT action, actor, details->>'reason' AS reason
             FROM immutable_audit_log WHERE subject->>'runId' = $1 AND action LIKE 'run:%' ORDER BY seq`,
          [runId],
        )
      ).rows;
      expect(entries).toEqual([
        { action: 'run:requested', actor: 'user:test-admin', reason: null },
        { action: 'run:started', actor: 'service:engine', reason: null },
        {
          action: 'run:paused',
          actor: 'user:test-admin',
          reason: 'paused by operator: month-end freeze, ticket for 411111******1111',
        },
        { action: 'run:resumed', actor: 'user:test-admin', reason: 'freeze lifted' },
        { action: 'run:succeeded', actor: 'service:engine', reason: null },
      ]);
    } finally {
      await pg.end();
    }
  });

  it('cancels a running run and publishes none of its rows', async () => {
    const { runId, result: cancelled } = await whileFirstBatchHeld('cancel-running', 90_000, (id) =>
      call(client.cancelRun.bind(client), { runId: id, reason: 'wrong file delivered' }),
    );
    expect(cancelled.run?.status).toBe(RunStatus.RUN_STATUS_CANCELLED);
    expect(cancelled.run?.errorMessage).toBe('cancelled by operator: wrong file delivered');
    expect(cancelled.run?.read).toBeGreaterThan(0); // it was cancelled in the middle: after the held batch
    expect(cancelled.run?.read).toBeLessThan(20_000);
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    const left = await pg.query('SELECT count(*)::int AS n FROM transactions WHERE run_id = $1', [runId]);
    await pg.end();
    expect(left.rows[0].n).toBe(0);
  });
});
