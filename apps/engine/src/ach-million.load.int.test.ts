import fs from 'node:fs';
import path from 'node:path';
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import {
  createJobServiceClient,
  deadlineIn,
  RunStatus,
  type JobServiceClient,
  type Run,
  type WatchRunResponse,
} from '@strongroom/contract';
import { generateAchFile } from '@strongroom/datagen';
import {
  createTestDatabase,
  makeTempDir,
  processRss,
  querySql,
  startEngineProcess,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

const ENTRIES = Number(process.env.STRONGROOM_ACH_ENTRIES ?? 1_000_000);

const call = <Req, Res>(
  fn: (req: Req, md: Metadata, opts: { deadline: Date }, cb: (e: ServiceError | null, r: Res) => void) => unknown,
  req: Req,
) =>
  new Promise<Res>((resolve, reject) =>
    fn(req, new Metadata(), { deadline: deadlineIn(30_000) }, (e, r) => (e ? reject(e) : resolve(r))),
  );

/**
 * A 1,000,000-entry NACHA file (≈ 96 MB, 200 batches) through the real engine: reconciled, then
 * loaded in batches of a fixed 10,000 entries (so the batch size does not move memory), with the
 * engine's memory sampled all along. Memory must not grow with the file: the peak over the last 40 %
 * of the load stays below 1.5× the peak between 10 % and 40 %.
 */
describe('a 1,000,000-entry ACH file (real engine, real PostgreSQL)', () => {
  let db: TestDatabase;
  let engine: EngineProcess;
  let client: JobServiceClient;
  const dir = makeTempDir();

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({ databaseUrl: db.url, env: { STRONGROOM_HOME: `${dir}/home` } });
    client = createJobServiceClient({ address: engine.address, token: engine.token });
  });
  afterAll(async () => {
    client?.close();
    expect(await engine?.stop()).toBe(0);
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads with flat memory, every entry accounted for, and reports records/s and peak RSS', async () => {
    const file = path.join(dir, 'million.ach');
    const generated = await generateAchFile(file, { entries: ENTRIES });
    const definition = `name: ach-million\nsource:\n  kind: ach\n  path: ${file}\nbatching: { minSize: 10000, maxSize: 10000 }\n`;
    const created = await call(client.createJob.bind(client), { definition, baseDir: '' });
    const pid = engine.child.pid as number;
    const samples: { progress: number; rss: number }[] = [];
    let progress = 0;
    const timer = setInterval(() => samples.push({ progress, rss: processRss(pid) }), 200);
    const t0 = Date.now();
    const started = await call(client.runJob.bind(client), { jobId: created.job?.id ?? '', file: '' });
    let last: Run | undefined;
    await new Promise<void>((resolve, reject) => {
      const stream = client.watchRun({ runId: started.run?.id ?? '' }, { deadline: deadlineIn(600_000) });
      stream.on('data', (m: WatchRunResponse) => {
        if (!m.run) return;
        last = m.run;
        progress = m.run.read / ENTRIES;
      });
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    clearInterval(timer);
    const seconds = (Date.now() - t0) / 1000;
    const run = last as Run;
    expect(run).toMatchObject({
      status: RunStatus.RUN_STATUS_SUCCEEDED,
      read: ENTRIES,
      loaded: ENTRIES,
      deadLettered: 0,
      filtered: 0,
    });
    expect(run.reconciliation?.reconciled).toBe(true);
    const [sink] = await querySql<{ n: string; debit: string; credit: string }>(
      db.url,
      `SELECT count(*)::text AS n, (-sum(amount) FILTER (WHERE amount < 0))::text AS debit, sum(amount) FILTER (WHERE amount > 0)::text AS credit FROM transactions WHERE run_id = $1`,
      [run.id],
    );
    const cents = (v: bigint) => `${v / 100n}.${String(v % 100n).padStart(2, '0')}`;
    expect(sink).toEqual({
      n: String(ENTRIES),
      debit: cents(generated.debitCents),
      credit: cents(generated.creditCents),
    });

    const loading = samples.filter((s) => s.progress > 0);
    const early = Math.max(...loading.filter((s) => s.progress > 0.1 && s.progress <= 0.4).map((s) => s.rss));
    const late = Math.max(...loading.filter((s) => s.progress > 0.6).map((s) => s.rss));
    const peak = Math.max(...samples.map((s) => s.rss));
    const mb = (b: number) => Math.round(b / 1024 / 1024);
    process.stdout.write(
      `\nACH ${ENTRIES.toLocaleString('en-US')} entries (${mb(generated.bytes)} MB, ${generated.batches} batches): ` +
        `${Math.round(ENTRIES / seconds).toLocaleString('en-US')} records/s end to end (${seconds.toFixed(1)} s incl. the reconciliation pass), ` +
        `engine peak RSS ${mb(peak)} MB (10–40 % of the load ${mb(early)} MB, 60–100 % ${mb(late)} MB)\n`,
    );
    // V8 grows its heap lazily, more so while other test files load the machine (one CI run saw
    // 488 → 626 MB); memory that grew with the file would add hundreds of MB per 10 % of 1M entries
    expect(late).toBeLessThan(early * 1.5);
  }, 900_000);
});
