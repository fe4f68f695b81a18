// File arrival end to end: two engine replicas watch a job's inbox. Files dropped there become runs with no
// command — one per file content, however many replicas see it and under whatever name — and leave the
// inbox for processed/ or failed/ once their run has ended.
import fs from 'node:fs';
import path from 'node:path';
import {
  createAuditServiceClient,
  createJobServiceClient,
  RunStatus,
  type AuditServiceClient,
  type JobServiceClient,
  type Run,
} from '@strongroom/contract';
import {
  createTestDatabase,
  makeTempDir,
  startEngineProcess,
  unaryCall,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

const HEADER = 'id,account,amount,currency,booked_at';
const rows = (prefix: string, n: number) =>
  Array.from(
    { length: n },
    (_, i) => `${prefix}-${i + 1},ACC${i % 3},${i + 1}.25,EUR,2026-03-0${(i % 9) + 1}T08:00:00Z`,
  );
const csv = (lines: string[]) => `${[HEADER, ...lines].join('\n')}\n`;

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('file arrival: a job with an inbox (two engine replicas watching)', () => {
  let db: TestDatabase;
  const engines: EngineProcess[] = [];
  let jobs: JobServiceClient;
  let audit: AuditServiceClient;
  const dir = makeTempDir('strongroom-inbox-');
  const inbox = path.join(dir, 'inbox');
  const slow = path.join(dir, 'slow-inbox');
  let jobId = '';

  beforeAll(async () => {
    fs.mkdirSync(inbox, { recursive: true });
    fs.mkdirSync(slow, { recursive: true });
    db = await createTestDatabase();
    for (const id of ['a', 'b'])
      engines.push(
        await startEngineProcess({
          databaseUrl: db.url,
          env: { STRONGROOM_HOME: `${dir}/home-${id}`, ENGINE_REPLICA_ID: id, ENGINE_INBOX_POLL_MS: '150' },
        }),
      );
    const engine = engines[0] as EngineProcess;
    jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    audit = createAuditServiceClient({ address: engine.address, token: engine.token });
  }, 120_000);
  afterAll(async () => {
    jobs?.close();
    audit?.close();
    for (const e of engines) await e.stop();
    await db?.drop();
  });

  const define = async (name: string, folder: string, settleSeconds: number) =>
    (
      await unaryCall(jobs, jobs.createJob, {
        definition: `name: ${name}\nsource:\n  kind: csv\n  mapping: { txn_id: id, account: account, amount: amount, currency: currency, booked_at: booked_at }\nerrors: { maxRejectRatio: 0.2 }\ntrigger: { inbox: ${folder}/*.csv, settleSeconds: ${settleSeconds} }\n`,
        baseDir: '',
      })
    ).job?.id ?? '';
  const runsOf = async (id: string): Promise<Run[]> =>
    (
      await unaryCall(jobs, jobs.listRuns, {
        jobId: id,
        status: RunStatus.RUN_STATUS_UNSPECIFIED,
        pageSize: 100,
        pageToken: '',
      })
    ).runs;
  const filed = (folder: string, sub: string) =>
    fs.existsSync(path.join(folder, sub)) ? fs.readdirSync(path.join(folder, sub)).sort() : [];

  it('turns each file dropped into the inbox into one run, with no command, and files it in processed/', async () => {
    jobId = await define('inbox-feed', inbox, 1);
    fs.writeFileSync(path.join(inbox, 'notes.txt'), 'not a *.csv: never a run\n');
    fs.writeFileSync(path.join(inbox, 'day-1.csv'), csv(rows('d1', 40)));
    fs.writeFileSync(path.join(inbox, 'day-2.csv'), csv(rows('d2', 25)));
    const done = await until('two runs to succeed and their files to be filed', async () => {
      const runs = await runsOf(jobId);
      const ok = runs.filter((r) => r.status === RunStatus.RUN_STATUS_SUCCEEDED);
      return ok.length === 2 && filed(inbox, 'processed').length === 2 ? runs : undefined;
    });
    expect(done).toHaveLength(2); // two replicas saw each file: still one run each
    expect(done.map((r) => r.loaded).sort()).toEqual([25, 40]);
    expect(done.every((r) => r.jobVersion === 1)).toBe(true);
    expect(filed(inbox, 'processed')).toEqual(['day-1.csv', 'day-2.csv']);
    expect(fs.readdirSync(inbox).sort()).toEqual(['.claimed', 'notes.txt', 'processed']);
    expect(fs.readdirSync(path.join(inbox, '.claimed'))).toEqual([]);
    // each run read its claimed copy, under a name of its own
    expect(done.map((r) => path.basename(path.dirname(r.sourcePath)))).toEqual(['.claimed', '.claimed']);
  });

  it('loads nothing for a copy of a file under another name; files a failing file in failed/', async () => {
    fs.copyFileSync(path.join(inbox, 'processed', 'day-1.csv'), path.join(inbox, 'day-1-again.csv'));
    fs.writeFileSync(path.join(inbox, 'broken.csv'), csv(['x-1,ACC1,not-money,EUR,2026-03-01T08:00:00Z']));
    await until('the copy and the broken file to be filed', async () =>
      filed(inbox, 'processed').includes('day-1-again.csv') && filed(inbox, 'failed').includes('broken.csv')
        ? true
        : undefined,
    );
    const runs = await runsOf(jobId);
    expect(runs).toHaveLength(3); // the copy made none
    expect(runs.filter((r) => r.status === RunStatus.RUN_STATUS_FAILED)).toHaveLength(1);
    // every move is in the audit chain, by the inbox
    const entries = await unaryCall(audit, audit.listEntries, {
      action: 'inbox:filed',
      pageSize: 100,
      pageToken: '',
      newestFirst: false,
    });
    expect(
      entries.entries
        .map((e) => JSON.parse(e.detailsJson).to as string)
        .map((p) => path.basename(p))
        .sort(),
    ).toEqual(['broken.csv', 'day-1-again.csv', 'day-1.csv', 'day-2.csv']);
    expect(new Set(entries.entries.map((e) => e.actor))).toEqual(new Set(['service:inbox']));
  });

  it('waits for a file to settle, unless a .done marker says it is complete; never reads an in-progress name', async () => {
    const slowJob = await define('slow-feed', slow, 3600);
    fs.writeFileSync(path.join(slow, 'unsettled.csv'), csv(rows('u', 5)));
    fs.writeFileSync(path.join(slow, 'upload.csv.part'), csv(rows('p', 5)));
    fs.writeFileSync(path.join(slow, 'marked.csv'), csv(rows('m', 7)));
    fs.writeFileSync(path.join(slow, 'marked.csv.done'), '');
    const runs = await until('the marked file to load', async () => {
      const r = await runsOf(slowJob);
      return r.some((x) => x.status === RunStatus.RUN_STATUS_SUCCEEDED) && filed(slow, 'processed').length === 2
        ? r
        : undefined;
    });
    expect(runs).toHaveLength(1);
    expect(runs[0]?.loaded).toBe(7);
    expect(filed(slow, 'processed')).toEqual(['marked.csv', 'marked.csv.done']);
    await new Promise((r) => setTimeout(r, 1000)); // several more looks
    expect(await runsOf(slowJob)).toHaveLength(1); // the unsettled file and the .part are still waiting
    expect(fs.readdirSync(slow).sort()).toEqual(['.claimed', 'processed', 'unsettled.csv', 'upload.csv.part']);
  });

  it('files a new file of the same name beside the one filed before, never over it', async () => {
    fs.writeFileSync(path.join(inbox, 'day-2.csv'), csv(rows('d2b', 3))); // a new day-2.csv: new content
    await until('the second day-2.csv to be filed', async () =>
      filed(inbox, 'processed').includes('day-2.csv.1') ? true : undefined,
    );
    expect(fs.readFileSync(path.join(inbox, 'processed', 'day-2.csv'), 'utf8')).toContain('d2-25');
    expect(fs.readFileSync(path.join(inbox, 'processed', 'day-2.csv.1'), 'utf8')).toContain('d2b-3');
  });

  it('refuses a trigger on a grpc job, and a job with neither a source path nor an inbox', async () => {
    await expect(
      unaryCall(jobs, jobs.createJob, {
        definition: `name: bad-trigger\nsource: { kind: grpc }\ntrigger: { inbox: ${inbox} }\n`,
        baseDir: '',
      }),
    ).rejects.toMatchObject({ details: expect.stringContaining('only a file job has an inbox') });
    await expect(
      unaryCall(jobs, jobs.createJob, {
        definition: `name: no-file\nsource:\n  kind: csv\n  mapping: { txn_id: id, account: account, amount: amount, currency: currency, booked_at: booked_at }\n`,
        baseDir: '',
      }),
    ).rejects.toMatchObject({ details: expect.stringContaining('source.path is required (or a trigger.inbox') });
    // one folder, one job
    await expect(define('second-on-inbox', inbox, 1)).rejects.toMatchObject({
      details: expect.stringContaining("is job inbox-feed's already"),
    });
    // a triggered job without a path runs on a given file only
    await expect(unaryCall(jobs, jobs.runJob, { jobId, file: '' })).rejects.toMatchObject({
      details: expect.stringContaining('this job has no source.path'),
    });
  });
});
