import fs from 'node:fs';
import path from 'node:path';
import { type ServiceError } from '@grpc/grpc-js';
import {
  createJobServiceClient,
  RunStatus,
  type CreateJobRequest,
  type CreateJobResponse,
  type GetJobRequest,
  type GetJobResponse,
  type GetRunRequest,
  type GetRunResponse,
  type ListRunsRequest,
  type ListRunsResponse,
  type JobServiceClient,
  type RunJobRequest,
  type RunJobResponse,
} from '@strongroom/contract';
import { ERROR_CODE_METADATA_KEY } from '@strongroom/errors';
import {
  createTestDatabase,
  makeTempDir,
  querySql,
  startEngineProcess,
  testToken,
  unaryCall,
  writeTempFile,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

const HEADER = 'id,account,amount,currency,booked_at';
const SECRET = 'TOP-SECRET-LINE-42';

/**
 * A job's source path reads only below the engine's source roots (issue 16): absolute paths elsewhere,
 * `../` escapes, symlinks out of a root, /proc and the engine's own keys are refused with
 * SOURCE_OUTSIDE_ROOTS, and no byte of the file reaches an answer, a run or a dead letter.
 */
describe('source roots (real engine)', () => {
  const dir = makeTempDir();
  const inbox = path.join(dir, 'inbox');
  const home = path.join(dir, 'home');
  let db: TestDatabase;
  let engine: EngineProcess;
  let client: JobServiceClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { STRONGROOM_HOME: home, STRONGROOM_SOURCE_ROOTS: inbox },
    });
    client = createJobServiceClient({ address: engine.address, token: engine.token });
    writeTempFile(inbox, 'good.csv', `${HEADER}\ng1,ACC1,1.00,EUR,2026-01-02T10:00:00Z\n`);
    // a file outside the roots whose first line matches the mapping: read, it would load as data
    writeTempFile(dir, 'outside/secret.csv', `${HEADER}\n${SECRET},ACC1,1.00,EUR,2026-01-02T10:00:00Z\n`);
    fs.symlinkSync(path.join(dir, 'outside', 'secret.csv'), path.join(inbox, 'link.csv'));
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await engine?.stop();
    await db?.drop();
  });

  const job = (name: string, file: string) =>
    `name: ${name}\nsource:\n  kind: csv\n  path: ${file}\n  mapping: { txn_id: id, account: account, amount: amount, currency: currency, booked_at: booked_at }\n`;
  const createJob = (definition: string, baseDir = '') =>
    unaryCall<CreateJobRequest, CreateJobResponse>(client, client.createJob, { definition, baseDir });
  async function refusal(work: () => Promise<unknown>): Promise<{ code: unknown; details: string }> {
    try {
      await work();
    } catch (err) {
      const e = err as ServiceError;
      expect(e.details).not.toContain(SECRET);
      return { code: e.metadata.get(ERROR_CODE_METADATA_KEY)[0], details: e.details };
    }
    throw new Error('expected a refusal');
  }

  let insideJob = '';
  let insideRun = '';

  it('runs a job whose file is inside a root', async () => {
    const created = await createJob(job('inside', path.join(inbox, 'good.csv')));
    const started = await unaryCall<RunJobRequest, RunJobResponse>(client, client.runJob, {
      jobId: created.job?.id ?? '',
      file: '',
    });
    insideJob = created.job?.id ?? '';
    insideRun = started.run?.id ?? '';
    for (;;) {
      const run = (
        await unaryCall<GetRunRequest, GetRunResponse>(client, client.getRun, { runId: started.run?.id ?? '' })
      ).run;
      if (run?.status === RunStatus.RUN_STATUS_SUCCEEDED) break;
      expect(run?.status).not.toBe(RunStatus.RUN_STATUS_FAILED);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  it('refuses an absolute path outside, a ../ escape, a symlink out of the root, /proc and its own keys', async () => {
    const attempts = [
      job('abs', path.join(dir, 'outside', 'secret.csv')),
      job('dotdot', `${inbox}/../outside/secret.csv`),
      job('link', path.join(inbox, 'link.csv')),
      job('proc', '/proc/self/environ'),
      job('keys', path.join(home, 'keys', 'pan-hmac.key')),
    ];
    for (const definition of attempts) {
      expect(await refusal(() => createJob(definition))).toMatchObject({
        code: 'SOURCE_OUTSIDE_ROOTS',
        details: expect.stringContaining("is outside the engine's source roots"),
      });
    }
    // a relative path against a base directory outside the roots is refused for the base directory
    expect(await refusal(() => createJob(job('base', 'secret.csv'), path.join(dir, 'outside')))).toMatchObject({
      code: 'SOURCE_OUTSIDE_ROOTS',
      details: expect.stringContaining('base directory'),
    });
  });

  it('refuses to run a saved job whose file was swapped for a symlink out of the root, before reading it', async () => {
    const file = writeTempFile(inbox, 'swap.csv', `${HEADER}\ns1,ACC1,1.00,EUR,2026-01-02T10:00:00Z\n`);
    const created = await createJob(job('swap', file));
    fs.rmSync(file);
    fs.symlinkSync(path.join(dir, 'outside', 'secret.csv'), file);
    expect(
      await refusal(() =>
        unaryCall<RunJobRequest, RunJobResponse>(client, client.runJob, { jobId: created.job?.id ?? '', file: '' }),
      ),
    ).toMatchObject({ code: 'SOURCE_OUTSIDE_ROOTS' });
    const leaked = await querySql(
      db.url,
      `SELECT (SELECT count(*) FROM transactions WHERE txn_id = $1)::int AS rows,
              (SELECT count(*) FROM dead_letter_queue WHERE raw_record LIKE '%' || $1 || '%')::int AS dead,
              (SELECT count(*) FROM job_runs WHERE error_message LIKE '%' || $1 || '%')::int AS runs`,
      [SECRET],
    );
    expect(leaked).toEqual([{ rows: 0, dead: 0, runs: 0 }]);
  });

  it("shows viewers source paths relative to their root, never the host's layout; staff see them as stored", async () => {
    const as = (token: string) => createJobServiceClient({ address: engine.address, token });
    const viewer = as(testToken('vi', ['viewer']));
    const admin = as(engine.token);
    try {
      const seen = async (c: JobServiceClient) => {
        const j = await unaryCall<GetJobRequest, GetJobResponse>(c, c.getJob, { jobId: insideJob });
        const r = await unaryCall<GetRunRequest, GetRunResponse>(c, c.getRun, { runId: insideRun });
        return { definition: JSON.parse(j.job?.definitionJson ?? '{}').source.path, run: r.run?.sourcePath };
      };
      expect(await seen(viewer)).toEqual({ definition: 'inbox/good.csv', run: 'inbox/good.csv' });
      const staff = await seen(admin);
      expect(staff.definition).toBe(path.join(fs.realpathSync(inbox), 'good.csv'));
      expect(path.isAbsolute(staff.run ?? '')).toBe(true);
      const listed = await unaryCall<ListRunsRequest, ListRunsResponse>(viewer, viewer.listRuns, {
        jobId: insideJob,
        status: RunStatus.RUN_STATUS_UNSPECIFIED,
        pageSize: 10,
        pageToken: '',
      });
      expect(listed.runs.map((r) => r.sourcePath)).toEqual(['inbox/good.csv']);
      expect(JSON.stringify(listed)).not.toContain(dir);
    } finally {
      viewer.close();
      admin.close();
    }
  });
});
