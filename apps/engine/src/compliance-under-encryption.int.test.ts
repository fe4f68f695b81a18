import {
  createAuditServiceClient,
  createComplianceServiceClient,
  type VerifyRunRequest,
  type VerifyRunResponse,
  createJobServiceClient,
  RunStatus,
  type CreateJobRequest,
  type CreateJobResponse,
  type GetReportRequest,
  type GetReportResponse,
  type GetRunRequest,
  type GetRunResponse,
  type ListAlertsRequest,
  type ListAlertsResponse,
  type ListPublishedTransactionsRequest,
  type ListPublishedTransactionsResponse,
  type PlaceLegalHoldRequest,
  type PlaceLegalHoldResponse,
  type PurgeExpiredRequest,
  type RevealValueRequest,
  type RevealValueResponse,
  type PurgeExpiredResponse,
  type RunJobRequest,
  type RunJobResponse,
} from '@strongroom/contract';
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

const HELD = 'DE89370400440532013000';
const OTHER = 'GB29NWBK60161331926819';

/**
 * Compliance features on a RESTRICTED job, whose accounts are stored encrypted (issue 17, item 5): an
 * account hold keeps that account's rows through a purge, the KYC report counts real accounts (not one per
 * ciphertext), and alert accounts are shown decrypted — whole to auditors, their last four characters to
 * operators — never as ciphertext.
 */
describe('compliance under field encryption (real engine)', () => {
  const dir = makeTempDir();
  let db: TestDatabase;
  let engine: EngineProcess;
  let jobId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    engine = await startEngineProcess({ databaseUrl: db.url, env: { STRONGROOM_HOME: `${dir}/home` } });
    const csv = writeTempFile(
      dir,
      'restricted.csv',
      [
        'id,account,name,amount,currency,booked_at',
        `h1,${HELD},Grace Hopper,25000.00,USD,2026-01-02T10:00:00Z`,
        `h2,${HELD},Grace Hopper,10.00,USD,2026-01-02T11:00:00Z`,
        `h3,${HELD},Grace Hopper,11.00,USD,2026-01-02T12:00:00Z`,
        `o1,${OTHER},Ada Lovelace,30000.00,USD,2026-01-02T10:00:00Z`,
        `o2,${OTHER},Ada Lovelace,12.00,USD,2026-01-02T11:00:00Z`,
      ].join('\n') + '\n',
    );
    const jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    try {
      const job = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
        definition: `name: restricted\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account, counterparty_name: name, amount: amount, currency: currency, booked_at: booked_at }\ncompliance:\n  frameworks: [AML, KYC]\n  sanctions: off\n  retentionDays: 1\n  classification: { account: RESTRICTED, counterparty_name: RESTRICTED }\n`,
        baseDir: '',
      });
      jobId = job.job?.id ?? '';
      const runId =
        (await unaryCall<RunJobRequest, RunJobResponse>(jobs, jobs.runJob, { jobId, file: '' })).run?.id ?? '';
      for (;;) {
        const r = (await unaryCall<GetRunRequest, GetRunResponse>(jobs, jobs.getRun, { runId })).run;
        if (r?.status === RunStatus.RUN_STATUS_SUCCEEDED) break;
        expect(r?.status).not.toBe(RunStatus.RUN_STATUS_FAILED);
        await new Promise((res) => setTimeout(res, 100));
      }
    } finally {
      jobs.close();
    }
    // the accounts really are stored encrypted
    const stored = await querySql<{ account: string }>(db.url, 'SELECT DISTINCT account FROM transactions');
    expect(stored.every((r) => r.account.startsWith('enc:v1:'))).toBe(true);
    await querySql(db.url, `INSERT INTO kyc_customers (account, customer_id, status) VALUES ($1, 'C-1', 'VERIFIED')`, [
      HELD,
    ]);
  }, 60_000);
  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
  });

  const compliance = (sub: string, roles: string[]) =>
    createComplianceServiceClient({ address: engine.address, token: testToken(sub, roles) });

  it('shows alert accounts decrypted: whole to auditors, the last four characters to operators', async () => {
    const alertsAs = async (roles: string[]) => {
      const c = compliance(`as-${roles[0]}`, roles);
      try {
        return (
          await unaryCall<ListAlertsRequest, ListAlertsResponse>(c, c.listAlerts, {
            rule: 'LARGE_TRANSACTION',
            status: 0,
            runId: '',
            account: '',
            pageSize: 10,
            pageToken: '',
            order: 0,
          })
        ).alerts.map((a) => a.account);
      } finally {
        c.close();
      }
    };
    expect((await alertsAs(['auditor'])).sort()).toEqual([HELD, OTHER].sort());
    expect((await alertsAs(['operator'])).sort()).toEqual(['****3000', '****6819'].sort());
  });

  it("shows the AML report's large transactions with their accounts decrypted (reports are for auditors and admins)", async () => {
    const c = compliance('aml-auditor', ['auditor']);
    try {
      const r = await unaryCall<GetReportRequest, GetReportResponse>(c, c.getReport, {
        framework: 'AML',
        from: new Date(Date.now() - 3_600_000).toISOString(),
        to: new Date(Date.now() + 60_000).toISOString(),
      });
      const report = JSON.parse(r.reportJson) as { sections: { name: string; rows: { account: string }[] }[] };
      const large = report.sections.find((s) => s.name === 'large transactions')?.rows ?? [];
      expect(large.map((row) => row.account).sort()).toEqual([HELD, OTHER].sort());
      expect(r.reportCsv).not.toMatch(/enc:v1:/);
    } finally {
      c.close();
    }
  });

  it('counts real accounts in the KYC report, matched to their KYC records through the blind index', async () => {
    const c = compliance('kyc-auditor', ['auditor']);
    try {
      const r = await unaryCall<GetReportRequest, GetReportResponse>(c, c.getReport, {
        framework: 'KYC',
        from: '2026-01-01',
        to: '2026-01-31',
      });
      expect(JSON.parse(r.reportJson).summary).toMatchObject({ accounts: 2, withValidKyc: 1, coveragePercent: 50 });
    } finally {
      c.close();
    }
  });

  it("keeps a held account's rows through the retention purge", async () => {
    const auditor = compliance('holder', ['auditor']);
    const admin = compliance('purger', ['admin']);
    try {
      const placed = await unaryCall<PlaceLegalHoldRequest, PlaceLegalHoldResponse>(auditor, auditor.placeLegalHold, {
        scope: 'ACCOUNT',
        value: HELD,
        reason: 'litigation hold',
      });
      expect(placed.coveredRows).toBe(3);
      const purged = await unaryCall<PurgeExpiredRequest, PurgeExpiredResponse>(admin, admin.purgeExpired, {
        dryRun: false,
        reason: 'yearly retention run',
      });
      expect(Number(purged.purged)).toBe(2);
      const left = await querySql<{ txn_id: string }>(db.url, 'SELECT txn_id FROM transactions ORDER BY txn_id');
      expect(left.map((r) => r.txn_id)).toEqual(['h1', 'h2', 'h3']);
      // verify-run tells the lawful purge from tampering: removed rows are recorded by the owner's function
      const audit = createAuditServiceClient({ address: engine.address, token: testToken('aud', ['auditor']) });
      try {
        const runs = await querySql<{ id: string }>(db.url, 'SELECT id FROM job_runs');
        const verified = await unaryCall<VerifyRunRequest, VerifyRunResponse>(audit, audit.verifyRun, {
          runId: runs[0]?.id ?? '',
        });
        expect(verified).toMatchObject({ ok: true, firstBadBatch: 0 });
        expect(verified.message).toContain('lost 2 row(s) to the retention purge (recorded in sink_removals)');
        // a row deleted behind the purge's back is still tampering
        await querySql(db.url, `DELETE FROM transactions WHERE txn_id = 'h3'`);
        expect(
          await unaryCall<VerifyRunRequest, VerifyRunResponse>(audit, audit.verifyRun, { runId: runs[0]?.id ?? '' }),
        ).toMatchObject({ ok: false });
      } finally {
        audit.close();
      }
    } finally {
      auditor.close();
      admin.close();
    }
  });

  it('reveals a RESTRICTED value only through the governed path: auditors, with a reason, audited', async () => {
    const [row] = await querySql<{ id: string; account: string }>(
      db.url,
      `SELECT id::text AS id, account FROM transactions WHERE txn_id = 'h1'`,
    );
    expect(row?.account.startsWith('enc:v1:')).toBe(true);
    const auditor = compliance('ines', ['auditor']);
    const operator = compliance('oscar', ['operator']);
    try {
      const revealed = await unaryCall<RevealValueRequest, RevealValueResponse>(auditor, auditor.revealValue, {
        kind: 'TRANSACTION',
        id: row?.id ?? '',
        field: 'account',
        reason: 'SAR filing 2026-17',
      });
      expect(revealed).toEqual({ value: HELD, wasEncrypted: true });
      await expect(
        unaryCall<RevealValueRequest, RevealValueResponse>(operator, operator.revealValue, {
          kind: 'TRANSACTION',
          id: row?.id ?? '',
          field: 'account',
          reason: 'curious',
        }),
      ).rejects.toMatchObject({ code: 7 }); // PERMISSION_DENIED
      const trail = await querySql<{ actor: string; details: { reason: string } }>(
        db.url,
        `SELECT actor, details FROM immutable_audit_log WHERE action = 'value:revealed'`,
      );
      expect(trail).toEqual([{ actor: 'user:ines', details: { reason: 'SAR filing 2026-17', wasEncrypted: true } }]);
      expect(JSON.stringify(trail)).not.toContain(HELD); // the value itself is not in the chain
    } finally {
      auditor.close();
      operator.close();
    }
  });

  it('serves the published rows to a consumer with RESTRICTED values in clear, and to nobody else', async () => {
    const [run] = await querySql<{ id: string }>(db.url, 'SELECT id FROM job_runs');
    const as = (sub: string, roles: string[]) =>
      createJobServiceClient({ address: engine.address, token: testToken(sub, roles) });
    const consumer = as('ledger-feed', ['consumer']);
    const viewer = as('vic', ['viewer']);
    try {
      const list = (c: ReturnType<typeof as>, pageToken = '') =>
        unaryCall<ListPublishedTransactionsRequest, ListPublishedTransactionsResponse>(c, c.listPublishedTransactions, {
          runId: run?.id ?? '',
          pageSize: 2,
          pageToken,
        });
      const rows: ListPublishedTransactionsResponse['transactions'] = [];
      for (let token = '', pages = 0; pages === 0 || token; pages++) {
        const page = await list(consumer, token);
        rows.push(...page.transactions);
        token = page.nextPageToken;
      }
      const inSink = await querySql<{ txn_id: string }>(db.url, 'SELECT txn_id FROM transactions ORDER BY id');
      expect(rows.map((r) => r.txnId)).toEqual(inSink.map((r) => r.txn_id));
      for (const r of rows) {
        expect(r.account).toBe(r.txnId.startsWith('h') ? HELD : OTHER); // decrypted, not enc:v1:…
        expect(r.counterpartyName).toMatch(/^(Grace Hopper|Ada Lovelace)$/);
      }
      await expect(list(viewer)).rejects.toMatchObject({ code: 7 }); // PERMISSION_DENIED
    } finally {
      consumer.close();
      viewer.close();
    }
  });
});
