import { status, type ServiceError } from '@grpc/grpc-js';
import {
  AlertStatus,
  createComplianceServiceClient,
  createDeadLetterServiceClient,
  createJobServiceClient,
  RunStatus,
  type DiscardDeadLettersRequest,
  type DiscardDeadLettersResponse,
  type GetRunRequest,
  type GetRunResponse,
  type RunJobRequest,
  type RunJobResponse,
  type TransitionAlertRequest,
  type TransitionAlertResponse,
  type CreateJobRequest,
  type CreateJobResponse,
  type DecideApprovalRequest,
  type DecideApprovalResponse,
  type GetReportRequest,
  type GetReportResponse,
  type ListApprovalsRequest,
  type ListApprovalsResponse,
  type PlaceLegalHoldRequest,
  type PlaceLegalHoldResponse,
  type PurgeExpiredRequest,
  type PurgeExpiredResponse,
  type ReleaseLegalHoldRequest,
  type ReleaseLegalHoldResponse,
} from '@strongroom/contract';
import { ERROR_CODE_METADATA_KEY } from '@strongroom/errors';
import {
  createTestDatabase,
  makeTempDir,
  writeTempFile,
  querySql,
  startEngineProcess,
  testToken,
  unaryCall,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

/**
 * Four eyes (issue 17, item 7): with STRONGROOM_FOUR_EYES=on, releasing a hold, purging, discarding dead
 * letters, closing an alert and changing a job's retention are requested by one person and carried out when
 * another, with the action's roles, approves — never by the requester alone.
 */
describe('four eyes (real engine)', () => {
  const dir = makeTempDir();
  let db: TestDatabase;
  let engine: EngineProcess;
  const as = (sub: string, roles: string[]) =>
    createComplianceServiceClient({ address: engine.address, token: testToken(sub, roles) });

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({
      databaseUrl: db.url,
      env: { STRONGROOM_HOME: `${dir}/home`, STRONGROOM_FOUR_EYES: 'on' },
    });
  }, 60_000);
  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
  });

  /** The approval request id an APPROVAL_REQUIRED refusal names. */
  async function requested(work: () => Promise<unknown>): Promise<string> {
    try {
      await work();
    } catch (err) {
      const e = err as ServiceError;
      expect(e.code).toBe(status.FAILED_PRECONDITION);
      expect(e.metadata.get(ERROR_CODE_METADATA_KEY)[0]).toBe('APPROVAL_REQUIRED');
      return /approval request ([0-9a-f-]{36})/.exec(e.details)?.[1] as string;
    }
    throw new Error('expected APPROVAL_REQUIRED');
  }
  const decide = (client: ReturnType<typeof as>, id: string, approve: boolean) =>
    unaryCall<DecideApprovalRequest, DecideApprovalResponse>(client, client.decideApproval, {
      id,
      approve,
      reason: approve ? 'checked the case file' : 'no case number given',
    });

  it('releases a hold only when a second auditor approves; the requester and an operator cannot', async () => {
    const alice = as('alice', ['auditor']);
    const bob = as('bob', ['auditor']);
    const olga = as('olga', ['operator']);
    try {
      const hold = await unaryCall<PlaceLegalHoldRequest, PlaceLegalHoldResponse>(alice, alice.placeLegalHold, {
        scope: 'ACCOUNT',
        value: 'ACC-1',
        reason: 'litigation',
      });
      const holdId = hold.hold?.id as string;
      const id = await requested(() =>
        unaryCall<ReleaseLegalHoldRequest, ReleaseLegalHoldResponse>(alice, alice.releaseLegalHold, {
          id: holdId,
          reason: 'case closed',
        }),
      );
      const active = async () =>
        (
          await querySql<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM legal_holds WHERE released_at IS NULL`)
        )[0]?.n;
      expect(await active()).toBe(1); // requested, not done
      await expect(decide(alice, id, true)).rejects.toMatchObject({
        code: status.PERMISSION_DENIED,
        details: expect.stringContaining('another person must decide it'),
      });
      await expect(decide(olga, id, true)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
      const approved = await decide(bob, id, true);
      expect(approved.approval).toMatchObject({ status: 'APPROVED', requestedBy: 'user:alice', decidedBy: 'user:bob' });
      expect(await active()).toBe(0);
      await expect(decide(bob, id, true)).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
      const released = await querySql(db.url, `SELECT released_by FROM legal_holds WHERE id = $1`, [holdId]);
      expect(released).toEqual([{ released_by: 'user:alice' }]); // carried out as the requester asked
      const trail = await querySql<{ action: string; actor: string }>(
        db.url,
        `SELECT action, actor FROM immutable_audit_log WHERE action LIKE 'approval:%' OR action = 'hold:released' ORDER BY seq`,
      );
      expect(trail).toEqual([
        { action: 'approval:requested', actor: 'user:alice' },
        { action: 'hold:released', actor: 'user:alice' },
        { action: 'approval:approved', actor: 'user:bob' },
      ]);
      // the SOX report lists the request and the decision, by person (segregation of duties)
      const sox = await unaryCall<GetReportRequest, GetReportResponse>(bob, bob.getReport, {
        framework: 'SOX',
        from: new Date(Date.now() - 3_600_000).toISOString(),
        to: new Date(Date.now() + 60_000).toISOString(),
      });
      const report = JSON.parse(sox.reportJson) as { sections: { name: string; rows: Record<string, unknown>[] }[] };
      const approvals = report.sections.find((s) => s.name.startsWith('approvals'))?.rows ?? [];
      expect(approvals.find((r) => r['id'] === id)).toMatchObject({
        action: 'ReleaseLegalHold',
        status: 'APPROVED',
        requested_by: 'user:alice',
        reason: 'case closed',
        decided_by: 'user:bob',
        decision_reason: 'checked the case file',
      });
    } finally {
      alice.close();
      bob.close();
      olga.close();
    }
  });

  it('purges nothing when the second admin rejects the request, and the table refuses a self-decision', async () => {
    const ann = as('ann', ['admin']);
    const ben = as('ben', ['admin']);
    try {
      const id = await requested(() =>
        unaryCall<PurgeExpiredRequest, PurgeExpiredResponse>(ann, ann.purgeExpired, {
          dryRun: false,
          reason: 'yearly retention run',
        }),
      );
      expect((await decide(ben, id, false)).approval).toMatchObject({ status: 'REJECTED', decidedBy: 'user:ben' });
      const list = await unaryCall<ListApprovalsRequest, ListApprovalsResponse>(ann, ann.listApprovals, {
        status: 'REJECTED',
      });
      expect(list.approvals.map((a) => a.action)).toEqual(['PurgeExpired']);
      // even the database owner cannot record the requester as the one who decided
      await expect(
        querySql(
          db.url,
          `INSERT INTO approval_requests (action, params, reason, requested_by, status, decided_by) VALUES ('PurgeExpired', '{}', 'x', 'user:ann', 'APPROVED', 'user:ann')`,
        ),
      ).rejects.toThrow(/approval_requests_second_person/);
    } finally {
      ann.close();
      ben.close();
    }
  });

  it("makes a job's retention change a request, applied when a second admin approves", async () => {
    const jobs = (sub: string) => createJobServiceClient({ address: engine.address, token: testToken(sub, ['admin']) });
    const define = (c: ReturnType<typeof jobs>, days: number) =>
      unaryCall<CreateJobRequest, CreateJobResponse>(c, c.createJob, {
        definition: `name: governed\nsource: { kind: grpc }\ncompliance: { retentionDays: ${days} }\n`,
        baseDir: '',
      });
    const ann = jobs('ann');
    const ben = as('ben', ['admin']);
    try {
      await define(ann, 3650); // a new job: nothing to approve
      const id = await requested(() => define(ann, 30));
      const days = async () =>
        (await querySql<{ d: number }>(db.url, `SELECT retention_days AS d FROM jobs WHERE name = 'governed'`))[0]?.d;
      expect(await days()).toBe(3650);
      await decide(ben, id, true);
      expect(await days()).toBe(30);
    } finally {
      ann.close();
      ben.close();
    }
  });
  it('leaves an approval whose engine died after carrying it out in doubt (APPROVING): it is never carried out twice', async () => {
    const crashing = await startEngineProcess({
      databaseUrl: db.url,
      env: {
        STRONGROOM_HOME: `${dir}/home`,
        STRONGROOM_FOUR_EYES: 'on',
        STRONGROOM_TEST_CRASH_AT: 'approval:after-action@1',
      },
    });
    const alice = as('alice', ['auditor']);
    const bob = as('bob', ['auditor']);
    const carol = createComplianceServiceClient({ address: crashing.address, token: testToken('carol', ['auditor']) });
    try {
      const hold = await unaryCall<PlaceLegalHoldRequest, PlaceLegalHoldResponse>(alice, alice.placeLegalHold, {
        scope: 'ACCOUNT',
        value: 'ACC-2',
        reason: 'litigation',
      });
      const id = await requested(() =>
        unaryCall<ReleaseLegalHoldRequest, ReleaseLegalHoldResponse>(alice, alice.releaseLegalHold, {
          id: hold.hold?.id as string,
          reason: 'case closed',
        }),
      );
      // carol approves on the engine that dies between the release and its record
      await expect(decide(carol, id, true)).rejects.toMatchObject({ code: status.UNAVAILABLE });
      const [request] = await querySql<{ status: string; decided_by: string }>(
        db.url,
        `SELECT status, decided_by FROM approval_requests WHERE id = $1`,
        [id],
      );
      expect(request).toEqual({ status: 'APPROVING', decided_by: 'user:carol' });
      // in doubt, not pending: nobody can approve it again
      await expect(decide(bob, id, true)).rejects.toMatchObject({
        code: status.FAILED_PRECONDITION,
        details: expect.stringContaining('already APPROVING'),
      });
      const inDoubt = await unaryCall<ListApprovalsRequest, ListApprovalsResponse>(bob, bob.listApprovals, {
        status: 'APPROVING',
      });
      expect(inDoubt.approvals.map((a) => a.id)).toEqual([id]);
      // the action's own audit entry says it happened, once
      const released = await querySql<{ n: number }>(
        db.url,
        `SELECT count(*)::int AS n FROM immutable_audit_log WHERE action = 'hold:released' AND subject->>'holdId' = $1`,
        [hold.hold?.id as string],
      );
      expect(released).toEqual([{ n: 1 }]);
    } finally {
      alice.close();
      bob.close();
      carol.close();
      await crashing.stop().catch(() => undefined);
    }
  }, 60_000);

  it('makes a change of field classification or of any compliance setting a request too', async () => {
    const jobs = (sub: string) => createJobServiceClient({ address: engine.address, token: testToken(sub, ['admin']) });
    const define = (c: ReturnType<typeof jobs>, classification: string) =>
      unaryCall<CreateJobRequest, CreateJobResponse>(c, c.createJob, {
        definition: `name: governed-fields\nsource: { kind: grpc }\ncompliance: { classification: ${classification} }\n`,
        baseDir: '',
      });
    const ann = jobs('ann');
    const ben = as('ben', ['admin']);
    try {
      await define(ann, '{ account: RESTRICTED }');
      const id = await requested(() => define(ann, '{}')); // encryption of account numbers off: a request
      const version = async () =>
        (
          await querySql<{ v: number }>(db.url, `SELECT current_version AS v FROM jobs WHERE name = 'governed-fields'`)
        )[0]?.v;
      expect(await version()).toBe(1);
      const [request] = await querySql<{ reason: string }>(
        db.url,
        `SELECT reason FROM approval_requests WHERE id = $1`,
        [id],
      );
      expect(request?.reason).toBe('job governed-fields: compliance.classification {"account":"RESTRICTED"} → {}');
      await decide(ben, id, true);
      expect(await version()).toBe(2);
    } finally {
      ann.close();
      ben.close();
    }
  });
  it('makes discarding dead letters and closing an alert requests, carried out when a second person approves', async () => {
    const olga = createJobServiceClient({ address: engine.address, token: testToken('olga', ['operator']) });
    const dlqAs = (sub: string) =>
      createDeadLetterServiceClient({ address: engine.address, token: testToken(sub, ['operator']) });
    const alice = as('alice', ['auditor']);
    const bob = as('bob', ['auditor']);
    const oscar = as('oscar', ['operator']);
    const olgaDlq = dlqAs('olga');
    try {
      // one large transaction (an AML alert), one row that cannot load (a dead letter), one ordinary row
      const csv = writeTempFile(
        dir,
        'governed-run.csv',
        'id,acct,amt,ccy,ts\nG1,ACC-9,250000.00,EUR,2026-03-02\nG2,ACC-9,not-money,EUR,2026-03-02\nG3,ACC-8,12.00,EUR,2026-03-02\n',
      );
      const job = await unaryCall<CreateJobRequest, CreateJobResponse>(olga, olga.createJob, {
        definition: `name: governed-run\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: acct, amount: amt, currency: ccy, booked_at: ts }\nerrors: { maxRejectRatio: 0.5 }\ncompliance: { frameworks: [AML], sanctions: off }\n`,
        baseDir: '',
      });
      const runId = (
        await unaryCall<RunJobRequest, RunJobResponse>(olga, olga.runJob, { jobId: job.job?.id as string, file: '' })
      ).run?.id as string;
      let runStatus = RunStatus.RUN_STATUS_PENDING;
      for (let i = 0; i < 300 && runStatus !== RunStatus.RUN_STATUS_SUCCEEDED; i++) {
        runStatus =
          (await unaryCall<GetRunRequest, GetRunResponse>(olga, olga.getRun, { runId })).run?.status ?? runStatus;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(runStatus).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
      const [letter] = await querySql<{ id: string }>(db.url, `SELECT id FROM dead_letter_queue WHERE run_id = $1`, [
        runId,
      ]);
      const [alert] = await querySql<{ id: string }>(
        db.url,
        `SELECT id FROM compliance_alerts WHERE run_id = $1 AND rule = 'LARGE_TRANSACTION'`,
        [runId],
      );
      expect(letter && alert).toBeTruthy();

      // discarding: olga asks, oscar (another operator) approves
      const discard = await requested(() =>
        unaryCall<DiscardDeadLettersRequest, DiscardDeadLettersResponse>(olgaDlq, olgaDlq.discardDeadLetters, {
          ids: [letter?.id as string],
          reason: 'duplicate of an earlier correction',
        }),
      );
      const letterStatus = async () =>
        (
          await querySql<{ s: string }>(db.url, `SELECT status AS s FROM dead_letter_queue WHERE id = $1`, [letter?.id])
        )[0]?.s;
      expect(await letterStatus()).toBe('PENDING');
      await decide(oscar, discard, true);
      expect(await letterStatus()).toBe('DISCARDED');

      // closing an alert: alice asks, bob (another auditor) approves
      const close = await requested(() =>
        unaryCall<TransitionAlertRequest, TransitionAlertResponse>(alice, alice.transitionAlert, {
          id: alert?.id as string,
          to: AlertStatus.ALERT_STATUS_CLOSED,
          reason: 'false positive: treasury transfer',
        }),
      );
      const alertStatus = async () =>
        (
          await querySql<{ s: string }>(db.url, `SELECT status AS s FROM compliance_alerts WHERE id = $1`, [alert?.id])
        )[0]?.s;
      expect(await alertStatus()).toBe('OPEN');
      await expect(decide(alice, close, true)).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
      await decide(bob, close, true);
      expect(await alertStatus()).toBe('CLOSED');
    } finally {
      olga.close();
      olgaDlq.close();
      alice.close();
      bob.close();
      oscar.close();
    }
  }, 60_000);
});
