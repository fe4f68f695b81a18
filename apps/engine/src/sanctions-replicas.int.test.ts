// Sanctions lists are one set for every engine replica: lists loaded on one replica screen the next run
// on any other, survive a restart with the older configured files, and a replica that cannot read the set
// in force refuses AML runs instead of screening against the lists it had.
import fs from 'node:fs';
import path from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { createComplianceServiceClient, createJobServiceClient, RunStatus, type Run } from '@strongroom/contract';
import {
  corpusDir,
  createTestDatabase,
  makeTempDir,
  startEngineProcess,
  testToken,
  unaryCall,
  writeTempFile,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

const OFAC = corpusDir('sanctions', 'ofactest');

describe('sanctions lists across engine replicas', () => {
  let db: TestDatabase;
  const engines: EngineProcess[] = [];
  const dir = makeTempDir('strongroom-sanctions-replicas-');
  // every replica is configured with the same short list; the OFAC test lists are loaded at run time
  const first = writeTempFile(
    dir,
    'lists/first-sdn.csv',
    '99001,"NOBODY IN PARTICULAR, Test","individual","SDNT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n',
  );
  const auditor = () => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${testToken('amlo', ['auditor'])}`);
    return md;
  };
  const start = async (id: string) => {
    const e = await startEngineProcess({
      databaseUrl: db.url,
      env: {
        STRONGROOM_HOME: `${dir}/home-${id}`,
        ENGINE_REPLICA_ID: id,
        STRONGROOM_SANCTIONS_LISTS: first,
        SCREENING_THRESHOLD: '0.9',
      },
    });
    engines.push(e);
    return e;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
  }, 60_000);
  afterAll(async () => {
    for (const e of engines) await e.stop();
    await db?.drop();
  });

  /** An AML run through `engine` of one transaction with a name on the OFAC test list; its run and alerts. */
  const runAml = async (engine: EngineProcess, name: string): Promise<{ run: Run; alerts: number }> => {
    const jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    const compliance = createComplianceServiceClient({ address: engine.address, token: engine.token });
    try {
      const csv = writeTempFile(
        dir,
        `${name}.csv`,
        `id,account,name,amount,currency,booked_at\n${name}-1,DE89370400440532013000,Elvis Angus LOGAN MOREY,120.00,USD,2026-04-01T10:00:00Z\n`,
      );
      const job = await unaryCall(jobs, jobs.createJob, {
        definition: `name: ${name}\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account, counterparty_name: name, amount: amount, currency: currency, booked_at: booked_at }\ncompliance: { frameworks: [AML] }\n`,
        baseDir: '',
      });
      // a job is run by the replica that is asked (RunJob submits to its own scheduler first)
      const runId = (await unaryCall(jobs, jobs.runJob, { jobId: job.job?.id ?? '', file: '' })).run?.id ?? '';
      let run: Run;
      for (;;) {
        run = (await unaryCall(jobs, jobs.getRun, { runId })).run as Run;
        if (run.status !== RunStatus.RUN_STATUS_RUNNING && run.status !== RunStatus.RUN_STATUS_PENDING) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      const alerts = await unaryCall(compliance, compliance.listAlerts, {
        rule: 'SANCTIONS',
        status: 0,
        runId,
        account: '',
        pageSize: 10,
        pageToken: '',
        order: 0,
      });
      return { run, alerts: alerts.alerts.length };
    } finally {
      jobs.close();
      compliance.close();
    }
  };
  const load = async (engine: EngineProcess, files: string[], reason: string) => {
    const compliance = createComplianceServiceClient({ address: engine.address, token: engine.token });
    try {
      return await unaryCall(compliance, compliance.loadSanctionsLists, { files, reason }, 30_000, auditor());
    } finally {
      compliance.close();
    }
  };

  it('screens the next run on another replica against lists loaded on one, and keeps them over a restart', async () => {
    const a = await start('a');
    const b = await start('b');
    expect((await runAml(b, 'b-before')).alerts).toBe(0);
    await load(a, [path.join(OFAC, 'sdn.csv'), path.join(OFAC, 'alt.csv')], 'OFAC update of the day');
    // replica b was started with the short list and never asked: its next run screens against the new lists
    expect(await runAml(b, 'b-after')).toMatchObject({ run: { status: RunStatus.RUN_STATUS_SUCCEEDED }, alerts: 1 });
    // a replica started afterwards with the older configured list screens against the lists in force
    const c = await start('c');
    expect((await runAml(c, 'c-started-later')).alerts).toBe(1);
  });

  it('refuses AML runs on a replica that cannot load the lists in force, instead of screening with its own', async () => {
    const a = engines[0] as EngineProcess;
    const b = engines[1] as EngineProcess;
    const copy = path.join(dir, 'lists/today-sdn.csv');
    fs.copyFileSync(path.join(OFAC, 'sdn.csv'), copy);
    await load(a, [copy], 'today only');
    // the file changes under the other replicas before they loaded it: it is not the set that was loaded
    fs.appendFileSync(copy, '99002,"SOMEONE ELSE, Test","individual","SDNT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n');
    const refused = await runAml(b, 'b-unavailable');
    expect(refused.run).toMatchObject({ status: RunStatus.RUN_STATUS_FAILED, errorCode: 'FAILED_PRECONDITION' });
    expect(refused.run.errorMessage).toMatch(
      /sanctions lists in force .* cannot be loaded on this replica: .*not the file that was loaded/,
    );
    // loading the lists again (as they are now) brings every replica back
    await load(a, [copy], 'today, corrected');
    expect(await runAml(b, 'b-again')).toMatchObject({ run: { status: RunStatus.RUN_STATUS_SUCCEEDED }, alerts: 1 });
  });
});
