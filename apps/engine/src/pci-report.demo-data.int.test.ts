import path from 'node:path';
import {
  createComplianceServiceClient,
  createJobServiceClient,
  RunStatus,
  type CreateJobRequest,
  type CreateJobResponse,
  type GetReportRequest,
  type GetReportResponse,
  type GetRunRequest,
  type GetRunResponse,
  type RunJobRequest,
  type RunJobResponse,
} from '@strongroom/contract';
import { DEMO_DATA_OPTIONS, DEMO_JOB_YAML, generateTransactionsCsv } from '@strongroom/datagen';
import {
  createTestDatabase,
  makeTempDir,
  startEngineProcess,
  unaryCall,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

/**
 * The PCI DSS report as a control that can run from cron (issue 17, item 4): on the product's own demo
 * data — invoice references (INV-2026-27902) beside masked and tokenized card numbers, IBANs, UUIDs — it
 * reports no card number in clear. Before, it joined all columns, and digits crossing fields passed the
 * Luhn check: 2,877 false findings on the demo, and a non-zero exit on day one.
 */
describe('the PCI DSS report on the demo data (real engine)', () => {
  const dir = makeTempDir();
  let db: TestDatabase;
  let engine: EngineProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({ databaseUrl: db.url, env: { STRONGROOM_HOME: `${dir}/home` } });
  }, 60_000);
  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
  });

  it('finds no card number in clear after the demo load, and reads every stored value', async () => {
    const csv = path.join(dir, 'transactions.csv');
    const generated = await generateTransactionsCsv(csv, { rows: 5000, ...DEMO_DATA_OPTIONS });
    const jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    const compliance = createComplianceServiceClient({ address: engine.address, token: engine.token });
    try {
      const job = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
        definition: DEMO_JOB_YAML,
        baseDir: dir,
      });
      const runId = (
        await unaryCall<RunJobRequest, RunJobResponse>(jobs, jobs.runJob, { jobId: job.job?.id as string, file: '' })
      ).run?.id as string;
      let status = RunStatus.RUN_STATUS_RUNNING;
      for (
        let i = 0;
        i < 600 && status !== RunStatus.RUN_STATUS_SUCCEEDED && status !== RunStatus.RUN_STATUS_FAILED;
        i++
      ) {
        status = (await unaryCall<GetRunRequest, GetRunResponse>(jobs, jobs.getRun, { runId })).run?.status ?? status;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
      expect(generated.withCard).toBeGreaterThan(500);
      const r = await unaryCall<GetReportRequest, GetReportResponse>(compliance, compliance.getReport, {
        framework: 'PCI_DSS',
        from: '2000-01-01',
        to: '2100-01-01',
      });
      const report = JSON.parse(r.reportJson) as { summary: Record<string, unknown> };
      expect(report.summary).toMatchObject({ panScanClean: true, valuesWithCardNumbers: 0 });
      expect(Number(report.summary['valuesScanned'])).toBeGreaterThan(5000 * 4);
    } finally {
      jobs.close();
      compliance.close();
    }
  }, 120_000);
});
