import { Metadata, status } from '@grpc/grpc-js';
import { Client } from 'pg';
import { verifyChain } from '@strongroom/audit';
import {
  createDeadLetterServiceClient,
  createJobServiceClient,
  DeadLetterStatus,
  RunStatus,
  type CreateJobRequest,
  type CreateJobResponse,
  type DeadLetterServiceClient,
  type DiscardDeadLettersRequest,
  type DiscardDeadLettersResponse,
  type GetRunRequest,
  type GetRunResponse,
  type JobServiceClient,
  type ListDeadLettersRequest,
  type ListDeadLettersResponse,
  type ReplayDeadLettersRequest,
  type ReplayDeadLettersResponse,
  type RunJobRequest,
  type RunJobResponse,
} from '@strongroom/contract';
import { generateTransactionsCsv } from '@strongroom/datagen';
import {
  createTestDatabase,
  makeTempDir,
  startEngineProcess,
  testToken,
  unaryCall,
  type EngineProcess,
  type TestDatabase,
} from '@strongroom/testing';
import fs from 'node:fs';
import { sqlExec } from '@strongroom/db';

const JOB = (csv: string) => `name: dlq-replay
source:
  kind: csv
  path: ${csv}
  mapping: { txn_id: id, account: account_iban, counterparty_account: counterparty_iban, counterparty_name: counterparty_name,
             amount: amount, currency: currency, booked_at: booked_at, value_date: value_date, reference: reference, card_pan: card_number }
batching: { minSize: 1000, maxSize: 1000 }
`;

describe('DeadLetterService (real engine): replay and discard', () => {
  let db: TestDatabase;
  let pg: Client;
  let engine: EngineProcess;
  let jobs: JobServiceClient;
  let dlq: DeadLetterServiceClient;
  let runId: string;
  const dir = makeTempDir();
  const operator = () => {
    const md = new Metadata();
    md.set('authorization', `Bearer ${testToken('olivia')}`);
    return md;
  };
  const list = async (req: Partial<ListDeadLettersRequest>) =>
    (
      await unaryCall<ListDeadLettersRequest, ListDeadLettersResponse>(dlq, dlq.listDeadLetters, {
        runId,
        jobId: '',
        status: 0,
        reasonCode: '',
        pageSize: 500,
        pageToken: '',
        ...req,
      })
    ).deadLetters;
  const replay = (req: Partial<ReplayDeadLettersRequest>) =>
    unaryCall<ReplayDeadLettersRequest, ReplayDeadLettersResponse>(
      dlq,
      dlq.replayDeadLetters,
      { ids: [], runId: '', corrections: [], reason: '', ...req },
      30_000,
      operator(),
    );
  const getRun = async () => (await unaryCall<GetRunRequest, GetRunResponse>(jobs, jobs.getRun, { runId })).run;

  beforeAll(async () => {
    db = await createTestDatabase();
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    await pg.query(`ALTER TABLE transactions ADD CONSTRAINT test_no_poison CHECK (account <> 'POISON')`);
    engine = await startEngineProcess({ databaseUrl: db.url, env: { STRONGROOM_HOME: `${dir}/home` } });
    jobs = createJobServiceClient({ address: engine.address, token: engine.token });
    dlq = createDeadLetterServiceClient({ address: engine.address, token: engine.token });
    const csv = `${dir}/dlq.csv`;
    const gen = await generateTransactionsCsv(csv, { rows: 5000, seed: 5, idPrefix: 'DL' });
    fs.appendFileSync(
      csv,
      [
        'PZ1,POISON,,Acme,10.00,EUR,2026-10-01T00:00:00Z,2026-10-01,,',
        'PZ2,POISON,,Acme,20.00,EUR,2026-10-01T00:00:00Z,2026-10-01,,',
        'PZ3,POISON,,Acme,30.00,USD,2026-10-01T00:00:00Z,2026-10-01,,',
      ].join('\n') + '\n',
    );
    const job = await unaryCall<CreateJobRequest, CreateJobResponse>(jobs, jobs.createJob, {
      definition: JOB(csv),
      baseDir: '',
    });
    runId = (await unaryCall<RunJobRequest, RunJobResponse>(jobs, jobs.runJob, { jobId: job.job?.id ?? '', file: '' }))
      .run?.id as string;
    for (let run = await getRun(); run?.status !== RunStatus.RUN_STATUS_SUCCEEDED; run = await getRun()) {
      if (run && run.status > RunStatus.RUN_STATUS_SUCCEEDED)
        throw new Error(`run ended ${run.status}: ${run.errorMessage}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await getRun())?.deadLettered).toBe(gen.bad + 3);
  }, 60_000);

  afterAll(async () => {
    jobs?.close();
    dlq?.close();
    await engine?.stop();
    await pg?.end();
    await db?.drop();
  });

  it('keeps each failed record with its reason: invalid rows and rows the database refused', async () => {
    const all = await list({});
    const refused = all.filter((d) => d.reasonCode === 'LOAD_REJECTED');
    expect(refused.map((d) => d.rawRecord.split(',')[0])).toEqual(['PZ1', 'PZ2', 'PZ3']);
    expect(refused[0]?.reasonMessage).toContain('test_no_poison');
    expect(new Set(all.map((d) => d.reasonCode))).toEqual(
      new Set([
        'LOAD_REJECTED',
        'INVALID_CURRENCY',
        'AMOUNT_SCALE',
        'INVALID_AMOUNT',
        'INVALID_TIMESTAMP',
        'MISSING_FIELD',
        'FIELD_COUNT_MISMATCH',
        'DUPLICATE_KEY',
      ]),
    );
    expect(all.every((d) => d.status === DeadLetterStatus.DEAD_LETTER_STATUS_PENDING && d.attempts === 0)).toBe(true);
  });

  it('loads corrected entries on replay, and a second replay loads nothing', async () => {
    const before = await getRun();
    const fixable = (await list({})).filter(
      (d) => d.reasonCode === 'LOAD_REJECTED' || d.reasonCode === 'INVALID_CURRENCY',
    );
    // the operator corrects the original line (the stored raw record has its card number masked)
    const source = fs.readFileSync(`${dir}/dlq.csv`, 'utf8').split('\n');
    const corrections = fixable.map((d) => ({
      id: d.id,
      rawRecord: (source[d.recordNo] as string).replace('POISON', 'DE89370400440532013000').replace(',XXQ,', ',KWD,'),
    })); // KWD takes 0–3 decimals
    const first = await replay({
      ids: fixable.map((d) => d.id),
      corrections,
      reason: 'amounts re-keyed from the paper slips',
    });
    expect(first).toMatchObject({ loaded: fixable.length, stillFailing: 0, skipped: 0 });
    const after = await getRun();
    expect(after?.loaded).toBe((before?.loaded ?? 0) + fixable.length);
    expect(after?.deadLettered).toBe((before?.deadLettered ?? 0) - fixable.length);
    expect(after?.read).toBe((after?.loaded ?? 0) + (after?.deadLettered ?? 0) + (after?.filtered ?? 0));
    const { rows } = await pg.query(
      `SELECT count(*)::int AS n FROM transactions_published WHERE run_id = $1 AND txn_id LIKE 'PZ%'`,
      [runId],
    );
    expect(rows[0].n).toBe(3);

    const second = await replay({ ids: fixable.map((d) => d.id), corrections });
    expect(second).toMatchObject({ loaded: 0, skipped: fixable.length });
    expect((await getRun())?.loaded).toBe(after?.loaded);
    const replayed = await list({ status: DeadLetterStatus.DEAD_LETTER_STATUS_REPLAYED });
    expect(replayed).toHaveLength(fixable.length);
    expect(replayed[0]).toMatchObject({ attempts: 1, resolvedBy: 'user:olivia' });
  });

  it('leaves an entry pending with its new reason when the replay fails again', async () => {
    const [scale] = await list({ reasonCode: 'AMOUNT_SCALE' });
    const r = await replay({ ids: [scale?.id as string] });
    expect(r).toMatchObject({
      loaded: 0,
      stillFailing: 1,
      outcomes: [{ outcome: 'STILL_FAILING', reasonCode: 'AMOUNT_SCALE' }],
    });
    const [again] = await list({ reasonCode: 'AMOUNT_SCALE' });
    expect(again).toMatchObject({ status: DeadLetterStatus.DEAD_LETTER_STATUS_PENDING, attempts: 1 });
  });

  it('discards with a reason only, and audits every replay and discard with the caller', async () => {
    const [dup] = await list({ reasonCode: 'DUPLICATE_KEY' });
    const discard = (reason: string) =>
      unaryCall<DiscardDeadLettersRequest, DiscardDeadLettersResponse>(
        dlq,
        dlq.discardDeadLetters,
        { ids: [dup?.id as string], reason },
        10_000,
        operator(),
      );
    await expect(discard(' ')).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(await discard('duplicate of an earlier line, confirmed with the bank')).toEqual({
      discarded: 1,
      skipped: 0,
    });
    expect(await discard('again')).toEqual({ discarded: 0, skipped: 1 });
    const { rows } = await pg.query(
      `SELECT action, actor FROM immutable_audit_log WHERE action LIKE 'dlq:%' ORDER BY seq`,
    );
    expect(rows.map((r) => r.action)).toEqual([
      'dlq:replayed',
      'dlq:replayed',
      'dlq:replayed',
      'dlq:discarded',
      'dlq:discarded',
    ]);
    expect(new Set(rows.map((r) => r.actor))).toEqual(new Set(['user:olivia']));
    // a replay's reason, when given, is in its audit entry
    const reasons = (
      await pg.query(
        `SELECT details->>'reason' AS reason FROM immutable_audit_log WHERE action = 'dlq:replayed' ORDER BY seq`,
      )
    ).rows.map((r) => r.reason);
    expect(reasons).toEqual(['amounts re-keyed from the paper slips', null, null]);
    expect((await verifyChain(sqlExec(pg))).ok).toBe(true);
  });

  it('answers bad requests precisely', async () => {
    await expect(replay({ ids: ['not-an-id'] })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(replay({ ids: ['999999999'] })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(replay({})).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });
});
