// New sanctions lists at run time: the next run is screened against them without a restart, the load is
// versioned and audited with who asked and why, and a list that cannot be used changes nothing.
import fs from 'node:fs';
import path from 'node:path';
import { Metadata, status } from '@grpc/grpc-js';
import {
  createAuditServiceClient,
  createComplianceServiceClient,
  createJobServiceClient,
  RunStatus,
  type AuditServiceClient,
  type ComplianceServiceClient,
  type JobServiceClient,
} from '@strongroom/contract';
import {
  corpusDir,
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

const OFAC = corpusDir('sanctions', 'ofactest');

describe('sanctions lists loaded at run time', () => {
  let db: TestDatabase;
  let engine: EngineProcess;
  let jobs: JobServiceClient;
  let compliance: ComplianceServiceClient;
  let audit: AuditServiceClient;
  const dir = makeTempDir('strongroom-sanctions-');
  // the lists the engine starts with: one unrelated entry, in the OFAC SDN format
  const first = writeTempFile(
    dir,
    'lists/first-sdn.csv',
    '99001,"NOBODY IN PARTICULAR, Test","individual","SDNT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n',
  );
  const as = (sub: string, roles: string[]) => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${testToken(sub, roles)}`);
    return md;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { STRONGROOM_HOME: `${dir}/home`, STRONGROOM_SANCTIONS_LISTS: first, SCREENING_THRESHOLD: '0.9' },
    });
    jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    compliance = createComplianceServiceClient({ address: engine.address, token: engine.token });
    audit = createAuditServiceClient({ address: engine.address, token: engine.token });
  }, 120_000);
  afterAll(async () => {
    jobs?.close();
    compliance?.close();
    audit?.close();
    await engine?.stop();
    await db?.drop();
  });

  const runAml = async (name: string, txn: string) => {
    const csv = writeTempFile(
      dir,
      `${name}.csv`,
      `id,account,name,amount,currency,booked_at\n${txn},DE89370400440532013000,Elvis Angus LOGAN MOREY,120.00,USD,2026-04-01T10:00:00Z\n`,
    );
    const job = await unaryCall(jobs, jobs.createJob, {
      definition: `name: ${name}\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account, counterparty_name: name, amount: amount, currency: currency, booked_at: booked_at }\ncompliance: { frameworks: [AML] }\n`,
      baseDir: '',
    });
    const runId = (await unaryCall(jobs, jobs.runJob, { jobId: job.job?.id ?? '', file: '' })).run?.id ?? '';
    for (;;) {
      const r = (await unaryCall(jobs, jobs.getRun, { runId })).run;
      if (r?.status === RunStatus.RUN_STATUS_SUCCEEDED) break;
      if (r && r.status !== RunStatus.RUN_STATUS_RUNNING && r.status !== RunStatus.RUN_STATUS_PENDING)
        throw new Error(`run ${runId} ended ${r.status}: ${r.errorMessage}`);
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
    return alerts.alerts.map((a) => a.txnId);
  };

  it('screens the next run against the lists loaded since, with no restart; versioned and audited', async () => {
    expect(await runAml('before-reload', 'b1')).toEqual([]); // the name is not on the first list

    const loaded = await unaryCall(
      compliance,
      compliance.loadSanctionsLists,
      { files: [path.join(OFAC, 'sdn.csv'), path.join(OFAC, 'alt.csv')], reason: 'OFAC update of the day' },
      30_000,
      as('amlo', ['auditor']),
    );
    expect(loaded.names).toBeGreaterThan(1);
    expect(loaded.version).toMatch(/^[0-9a-f]{64}$/);
    expect(loaded.previousVersion).toMatch(/^[0-9a-f]{64}$/);
    expect(loaded.previousVersion).not.toBe(loaded.version);
    expect(loaded.sources.map((s) => path.basename(s.file))).toEqual(['sdn.csv', 'alt.csv']);

    expect(await runAml('after-reload', 'a1')).toEqual(['a1']);

    const entries = await unaryCall(audit, audit.listEntries, {
      action: 'sanctions:loaded',
      pageSize: 10,
      pageToken: '',
      newestFirst: true,
    });
    const latest = entries.entries[0];
    expect(latest?.actor).toBe('user:amlo');
    expect(JSON.parse(latest?.detailsJson ?? '{}')).toMatchObject({
      reason: 'OFAC update of the day',
      previousVersion: loaded.previousVersion,
    });
    expect(JSON.parse(latest?.subjectJson ?? '{}')).toEqual({ lists: 2, version: loaded.version });
  });

  it('changes nothing when a list cannot be used, and lets neither an operator nor a file outside the roots in', async () => {
    const bad = writeTempFile(dir, 'lists/not-a-list.csv', 'this is not,an OFAC file\n');
    await expect(
      unaryCall(
        compliance,
        compliance.loadSanctionsLists,
        { files: [bad], reason: 'oops' },
        10_000,
        as('amlo', ['auditor']),
      ),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(await runAml('still-screened', 's1')).toEqual(['s1']); // the loaded lists stay in force
    await expect(
      unaryCall(
        compliance,
        compliance.loadSanctionsLists,
        { files: [path.join(OFAC, 'sdn.csv')], reason: 'x' },
        10_000,
        as('otto', ['operator']),
      ),
    ).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect(
      unaryCall(
        compliance,
        compliance.loadSanctionsLists,
        { files: ['/etc/passwd'], reason: 'x' },
        10_000,
        as('amlo', ['auditor']),
      ),
    ).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    await expect(
      unaryCall(
        compliance,
        compliance.loadSanctionsLists,
        { files: [first], reason: '' },
        10_000,
        as('amlo', ['auditor']),
      ),
    ).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it('loads lists from the command line', async () => {
    const env = { STRONGROOM_ENGINE: engine.address, STRONGROOM_TOKEN: testToken('amlo', ['auditor']) };
    const r = await runCli(['sanctions', 'load', first, '--reason', 'back to the short list', '--json'], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop() as string)).toMatchObject({ names: 1 });
    expect(await runAml('short-list-again', 'c1')).toEqual([]);
    expect(fs.existsSync(first)).toBe(true);
    const usage = await runCli(['sanctions', 'load', first], env);
    expect(usage.code).toBe(2);
  });
});
