// Replaying the dead letters of a KYC run (a job of `kind: kyc`): each record, or its correction, is
// validated as the run validated it and written to the KYC register as coming from the run's file — unless
// the account's row comes from a more recent file now (replaying the older record would undo it:
// SUPERSEDED). One transaction per run with the entries' new status, the run's counters (loaded +n,
// dead-lettered −n) and the audit entry.
import { appendAudit } from '@strongroom/audit';
import { type DataSource, type JobRunEntity, sqlExec } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { redactPans } from '@strongroom/logging';
import { kycLine, upsertKycRows, type KycRow } from '../kyc/kyc-records';
import type { ReplayOutcome } from './replay';
import { markReplayOutcomes } from './replay-outcomes';

export async function replayKycRun(
  ds: DataSource,
  run: JobRunEntity,
  delimiter: string,
  ids: string[],
  corrections: Map<string, string>,
  actor: string,
  reason?: string,
): Promise<ReplayOutcome[]> {
  const header = run.sourceHeader;
  if (!header)
    throw new StrongroomError(ErrorCode.FAILED_PRECONDITION, `run ${run.id} has no recorded KYC header to replay with`);
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    const exec = sqlExec(runner);
    const locked = (await exec(
      `SELECT id::text AS id, record_no::text AS record_no, raw_record, status FROM dead_letter_queue
        WHERE id = ANY($1::bigint[]) ORDER BY dead_letter_queue.id FOR UPDATE`,
      [ids],
    )) as { id: string; record_no: string; raw_record: string; status: string }[];
    const outcomes = new Map<string, ReplayOutcome>();
    const valid: { id: string; row: KycRow }[] = [];
    const accounts = new Set<string>();
    for (const e of locked) {
      if (e.status !== 'PENDING') {
        outcomes.set(e.id, { id: e.id, outcome: 'SKIPPED', reasonMessage: `already ${e.status}` });
        continue;
      }
      const out = kycLine(corrections.get(e.id) ?? e.raw_record, Number(e.record_no), header, delimiter, accounts);
      if ('code' in out)
        outcomes.set(e.id, { id: e.id, outcome: 'STILL_FAILING', reasonCode: out.code, reasonMessage: out.message });
      else valid.push({ id: e.id, row: out });
    }
    // a replayed record comes from the run's file: an account a more recent file wrote keeps its row
    const written = new Set(
      await upsertKycRows(
        exec,
        valid.map((v) => v.row),
        run.createdAt,
      ),
    );
    for (const v of valid)
      outcomes.set(
        v.id,
        written.has(v.row.account)
          ? { id: v.id, outcome: 'LOADED' }
          : {
              id: v.id,
              outcome: 'STILL_FAILING',
              reasonCode: 'SUPERSEDED',
              reasonMessage: `account ${redactPans(v.row.account).slice(0, 8)}… comes from a more recent KYC file now: replaying this older record would undo it`,
            },
      );
    const list = [...outcomes.values()];
    const loaded = list.filter((o) => o.outcome === 'LOADED');
    const failing = list.filter((o) => o.outcome === 'STILL_FAILING');
    await markReplayOutcomes(exec, loaded, failing, corrections, actor, () => 'loaded into the KYC register by replay');
    if (loaded.length)
      await exec(
        `UPDATE job_runs SET records_loaded = records_loaded + $2, records_dead_lettered = records_dead_lettered - $2
          WHERE id = $1 AND status = 'SUCCEEDED'`,
        [run.id, loaded.length],
      );
    await appendAudit(exec, {
      actor,
      action: 'dlq:replayed',
      subject: { jobId: run.jobId, runId: run.id, deadLetterIds: ids },
      details: {
        sink: 'kyc_customers',
        loaded: loaded.length,
        alreadyLoaded: 0,
        stillFailing: failing.length,
        skipped: list.length - loaded.length - failing.length,
        corrected: ids.filter((i) => corrections.has(i)).length,
        ...(reason ? { reason } : {}),
      },
    });
    await runner.commitTransaction();
    return ids.map((id) => outcomes.get(id) as ReplayOutcome);
  } catch (err) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw err;
  } finally {
    await runner.release();
  }
}
