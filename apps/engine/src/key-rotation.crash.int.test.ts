import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { decryptField, parseKeyRing } from '@strongroom/compliance';
import {
  createAuditServiceClient,
  createComplianceServiceClient,
  createJobServiceClient,
  RunStatus,
  type CreateJobRequest,
  type CreateJobResponse,
  type GetKeyRotationRequest,
  type GetKeyRotationResponse,
  type GetRunRequest,
  type GetRunResponse,
  type RotateFieldKeysRequest,
  type RotateFieldKeysResponse,
  type Run,
  type RunJobRequest,
  type RunJobResponse,
  type VerifyRunRequest,
  type VerifyRunResponse,
} from '@strongroom/contract';
import { generateTransactionsCsv } from '@strongroom/datagen';
import {
  createTestDatabase,
  makeTempDir,
  startEngineProcess,
  unaryCall,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';

/**
 * Key rotation on a table of RESTRICTED values, killed mid-way (SIGKILL after its 3rd batch) and resumed
 * by the next engine: every value stays decryptable throughout, and ends under the new key.
 */
describe('field-key rotation', () => {
  let db: TestDatabase;
  let engine: EngineProcess | undefined;
  const home = makeTempDir();

  afterAll(async () => {
    await engine?.stop();
    await db?.drop();
  });

  it('survives a crash mid-way, resumes, and leaves every value decryptable under the new key', async () => {
    db = await createTestDatabase();
    const start = (env: Record<string, string> = {}) =>
      startEngineProcess({
        databaseUrl: db.url,
        env: { STRONGROOM_HOME: home, KEY_ROTATION_BATCH_SIZE: '500', ...env },
      });
    engine = await start({ STRONGROOM_TEST_CRASH_AT: 'rotation:batch@3' });
    const jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    const csv = path.join(home, 'inbox', 'restricted.csv'); // the engine reads nothing in its home but the inbox
    fs.mkdirSync(path.dirname(csv), { recursive: true });
    const gen = await generateTransactionsCsv(csv, { rows: 4000, seed: 5, idPrefix: 'KR', badRatio: 0.01 });
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
      definition: `name: restricted\nsource:\n  kind: csv\n  path: ${csv}\n  mapping: { txn_id: id, account: account_iban, counterparty_account: counterparty_iban, counterparty_name: counterparty_name, amount: amount, currency: currency, booked_at: booked_at, reference: reference }\nbatching: { minSize: 1000, maxSize: 1000 }\ncompliance: { classification: { account: RESTRICTED, counterparty_name: RESTRICTED, reference: RESTRICTED } }\n`,
      baseDir: '',
    });
    const runId = (
      await unaryCall<RunJobRequest, RunJobResponse>(jobs, jobs.runJob, { jobId: job.job?.id ?? '', file: '' })
    ).run?.id as string;
    let run: Run | undefined;
    for (;;) {
      run = (await unaryCall<GetRunRequest, GetRunResponse>(jobs, jobs.getRun, { runId })).run;
      if (run && run.status !== RunStatus.RUN_STATUS_RUNNING && run.status !== RunStatus.RUN_STATUS_PENDING) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(run).toMatchObject({ status: RunStatus.RUN_STATUS_SUCCEEDED, read: 4000, deadLettered: gen.bad });
    jobs.close();

    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const snapshot = async () => {
        const ring = parseKeyRing(fs.readFileSync(path.join(home, 'keys', 'field-keys'), 'utf8'));
        const rows = (
          await pg.query(
            'SELECT txn_id, account, counterparty_name, reference FROM transactions WHERE run_id = $1 ORDER BY txn_id',
            [runId],
          )
        ).rows as Record<string, string | null>[];
        const dead = (
          await pg.query('SELECT id, raw_record FROM dead_letter_queue WHERE run_id = $1 ORDER BY id', [runId])
        ).rows as { id: string; raw_record: string }[];
        const keyIds = new Set<string>();
        const clear = rows.map((r) =>
          (['account', 'counterparty_name', 'reference'] as const).map((f) => {
            const v = r[f];
            if (v === null) return null;
            keyIds.add(v.split(':')[2] as string);
            return decryptField(ring, f, v);
          }),
        );
        for (const d of dead) keyIds.add(d.raw_record.split(':')[2] as string);
        return {
          clear: JSON.stringify(clear),
          dead: dead.map((d) => decryptField(ring, 'raw_record', d.raw_record)),
          keyIds,
          rows: rows.length,
        };
      };
      const before = await snapshot();
      expect(before.keyIds).toEqual(new Set(['k1']));
      expect(before.rows).toBe(4000 - gen.bad);

      // rotate: the engine kills itself after the 3rd re-encrypted batch
      let compliance = createComplianceServiceClient({ address: engine.address, token: engine.token });
      const started = await unaryCall<RotateFieldKeysRequest, RotateFieldKeysResponse>(
        compliance,
        compliance.rotateFieldKeys,
        {},
      );
      expect(started.rotation).toMatchObject({ toKeyId: 'k2', status: 'RUNNING' });
      compliance.close();
      for (
        const until = Date.now() + 30_000;
        engine.child.exitCode === null && engine.child.signalCode === null && Date.now() < until;
      )
        await new Promise((r) => setTimeout(r, 50));
      expect(engine.child.signalCode).toBe('SIGKILL');

      const mid = await snapshot(); // half-way: both keys in use, every value still decryptable, nothing changed
      expect(mid.keyIds).toEqual(new Set(['k1', 'k2']));
      expect(mid.clear).toBe(before.clear);
      expect(mid.dead).toEqual(before.dead);
      const [state] = (await pg.query('SELECT status, tx_cursor::int AS cursor FROM key_rotations')).rows;
      expect(state).toMatchObject({ status: 'RUNNING' });
      expect(state.cursor).toBeGreaterThan(0);

      // the next engine resumes the rotation where it stopped
      engine = await start();
      compliance = createComplianceServiceClient({ address: engine.address, token: engine.token });
      let rotation = started.rotation;
      for (const until = Date.now() + 60_000; rotation?.status === 'RUNNING' && Date.now() < until;) {
        await new Promise((r) => setTimeout(r, 200));
        rotation = (
          await unaryCall<GetKeyRotationRequest, GetKeyRotationResponse>(compliance, compliance.getKeyRotation, {
            id: started.rotation?.id ?? '',
          })
        ).rotation;
      }
      compliance.close();
      expect(rotation).toMatchObject({ status: 'DONE', toKeyId: 'k2' });
      expect(rotation?.valuesReencrypted).toBeGreaterThanOrEqual(before.rows * 2); // account and name at least, over both engines

      const after = await snapshot();
      expect(after.keyIds).toEqual(new Set(['k2']));
      expect(after.clear).toBe(before.clear);
      expect(after.dead).toEqual(before.dead);
      const audit = await createAuditServiceClient({ address: engine.address, token: engine.token });
      const verified = await unaryCall<VerifyRunRequest, VerifyRunResponse>(audit, audit.verifyRun, { runId });
      audit.close();
      expect(verified.ok).toBe(true); // digests were over clear values: a rotation changes no digest
      const actions = (
        await pg.query(`SELECT action FROM immutable_audit_log WHERE action LIKE 'keys:%' ORDER BY seq`)
      ).rows.map((r) => r.action);
      expect(actions).toEqual(['keys:rotation_started', 'keys:rotated']);
    } finally {
      await pg.end();
    }
  }, 180_000);
});
