import { operatorText } from '../operator-text';
import { appendAudit } from '@strongroom/audit';
import { type DataSource, type HoldScope, LegalHoldEntity, sqlExec } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { isUuid } from '../jobs/job-store';
import { runRows } from '../run/run-rows';

export type Classification = 'PUBLIC' | 'INTERNAL' | 'CONFIDENTIAL' | 'RESTRICTED';
/** Days rows of each data classification are kept, by booking date (a job's own retentionDays wins). */
export type RetentionPolicy = Record<Classification, number>;
export const DEFAULT_RETENTION_DAYS = 2557; // 7 years

const HELD = `EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL AND (
                (h.scope = 'ACCOUNT' AND (h.value = t.account OR h.value_bidx = t.account_bidx)) OR (h.scope = 'RUN' AND h.value = t.run_id::text) OR (h.scope = 'JOB' AND h.value = $1::uuid::text)))`;

/** The rows of job $1's runs (as `t`), by each run's id ranges. */
const JOB_ROWS = `job_runs jr CROSS JOIN LATERAL ${runRows('jr.id')} WHERE jr.job_id = $1::uuid`;

function reasonOf(reason: string): string {
  return operatorText(reason, 'a reason');
}

/**
 * How an account is written in the sink, for holds: the sink's form of a clear account (a card-shaped one
 * is a token there) and, when the engine has field keys, its blind index (a RESTRICTED job stores the
 * account encrypted, with that index beside it).
 */
export interface AccountForms {
  stored(clear: string): string;
  blindIndex?(stored: string): string;
}

/** Places a legal hold on an account, a job or a run; audited with how many loaded rows it covers now. */
export async function placeHold(
  ds: DataSource,
  scope: HoldScope,
  value: string,
  reason: string,
  actor: string,
  accounts?: AccountForms,
): Promise<{ hold: LegalHoldEntity; coveredRows: number }> {
  if (!['ACCOUNT', 'JOB', 'RUN'].includes(scope))
    throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'scope must be ACCOUNT, JOB or RUN');
  if (!value.trim() || value.trim().length > 200)
    throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'value must be 1–200 characters');
  // an account is held in the form the sink stores it (a card-shaped account as its token), and by its blind
  // index for encrypted jobs; anything else typed here passes the card-data detector
  const v = scope === 'ACCOUNT' && accounts ? accounts.stored(value.trim()) : operatorText(value, 'value', 200);
  const bidx = scope === 'ACCOUNT' && accounts?.blindIndex ? accounts.blindIndex(v) : null;
  if (scope !== 'ACCOUNT' && !isUuid(v))
    throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, `${scope === 'JOB' ? 'job' : 'run'} id is not an id`);
  const why = reasonOf(reason);
  return ds.transaction(async (em) => {
    const [hold] = (await em.query(
      `INSERT INTO legal_holds (scope, value, value_bidx, reason, placed_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [scope, v, bidx, why, actor],
    )) as { id: string }[];
    const rows =
      scope === 'ACCOUNT'
        ? 'transactions t WHERE (t.account = $1 OR t.account_bidx = $2)'
        : scope === 'RUN'
          ? runRows('$1::uuid')
          : JOB_ROWS;
    const [{ n }] = (await em.query(
      `SELECT count(*)::int AS n FROM ${rows}`,
      scope === 'ACCOUNT' ? [v, bidx] : [v],
    )) as {
      n: number;
    }[];
    await appendAudit(sqlExec(em), {
      actor,
      action: 'hold:placed',
      subject: { holdId: hold?.id, scope },
      details: { value: v, reason: why, coveredRows: n },
    });
    return {
      hold: await em.getRepository(LegalHoldEntity).findOneByOrFail({ id: hold?.id as string }),
      coveredRows: n,
    };
  });
}

/** Releases an active hold with a reason; audited. The hold stays on record. */
export async function releaseHold(ds: DataSource, id: string, reason: string, actor: string): Promise<LegalHoldEntity> {
  if (!isUuid(id)) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'id is not a hold id');
  const why = reasonOf(reason);
  return ds.transaction(async (em) => {
    const [row] = (await em.query('SELECT released_at FROM legal_holds WHERE id = $1 FOR UPDATE', [id])) as {
      released_at: Date | null;
    }[];
    if (!row) throw new StrongroomError(ErrorCode.NOT_FOUND, `legal hold ${id} not found`);
    if (row.released_at)
      throw new StrongroomError(ErrorCode.FAILED_PRECONDITION, `legal hold ${id} was already released`);
    await em.query('UPDATE legal_holds SET released_at = now(), released_by = $2, release_reason = $3 WHERE id = $1', [
      id,
      actor,
      why,
    ]);
    await appendAudit(sqlExec(em), {
      actor,
      action: 'hold:released',
      subject: { holdId: id },
      details: { reason: why },
    });
    return em.getRepository(LegalHoldEntity).findOneByOrFail({ id });
  });
}

export async function listHolds(ds: DataSource, activeOnly: boolean): Promise<LegalHoldEntity[]> {
  const qb = ds.getRepository(LegalHoldEntity).createQueryBuilder('h').orderBy('h.placed_at', 'DESC').limit(1000);
  if (activeOnly) qb.where('h.released_at IS NULL');
  return qb.getMany();
}

export interface PurgeResult {
  dryRun: boolean;
  jobs: {
    jobId: string;
    jobName: string;
    retentionDays: number;
    cutoff: string;
    expired: number;
    purged: number;
    held: number;
    deadLettersPurged: number;
  }[];
  purged: number;
  held: number;
  deadLettersPurged: number;
}

/**
 * Removes rows past their retention (booking date older than the job's retention, or its
 * classification's), except rows under an active legal hold (account, job or run), and dead letters
 * older than the retention. Deletes in batches, each in its own transaction with an audit entry of its
 * counts, so an interrupted purge is exact about what it removed. `dryRun` only counts. `now` is the
 * clock the cut-off is measured from (default: the current time).
 */
export async function purgeExpired(
  ds: DataSource,
  policy: RetentionPolicy,
  actor: string,
  options: { dryRun?: boolean; batchSize?: number; now?: Date } = {},
): Promise<PurgeResult> {
  const now = options.now ?? new Date();
  const batch = options.batchSize ?? 10_000;
  const jobs = (await ds.query(`SELECT id, name, retention_days, data_classification FROM jobs ORDER BY name`)) as {
    id: string;
    name: string;
    retention_days: number | null;
    data_classification: Classification;
  }[];
  const result: PurgeResult = { dryRun: Boolean(options.dryRun), jobs: [], purged: 0, held: 0, deadLettersPurged: 0 };
  for (const job of jobs) {
    const days = job.retention_days ?? policy[job.data_classification] ?? DEFAULT_RETENTION_DAYS;
    const cutoff = new Date(now.getTime() - days * 86_400_000);
    const scope = `FROM ${JOB_ROWS} AND t.booked_at < $2`;
    const [counts] = (await ds.query(
      `SELECT count(*)::int AS expired, count(*) FILTER (WHERE ${HELD})::int AS held ${scope}`,
      [job.id, cutoff],
    )) as { expired: number; held: number }[];
    const entry = {
      jobId: job.id,
      jobName: job.name,
      retentionDays: days,
      cutoff: cutoff.toISOString(),
      expired: counts?.expired ?? 0,
      purged: 0,
      held: counts?.held ?? 0,
      deadLettersPurged: 0,
    };
    if (!options.dryRun) {
      for (;;) {
        const n = await ds.transaction(async (em) => {
          // the sink is not the engine's to delete from: the owner's function applies the retention, skips
          // held rows and records the removal in sink_removals
          const [purged] = (await em.query('SELECT strongroom_purge_transactions($1, $2, $3, $4)::int AS n', [
            job.id,
            days,
            now,
            batch,
          ])) as { n: number }[];
          const deleted = Number(purged?.n ?? 0);
          const [, dead] = (await em.query(
            `DELETE FROM dead_letter_queue WHERE id IN (SELECT d.id FROM dead_letter_queue d WHERE d.job_id = $1::uuid AND d.created_at < $2
               AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.released_at IS NULL AND ((h.scope = 'JOB' AND h.value = $1::uuid::text) OR (h.scope = 'RUN' AND h.value = d.run_id::text)))
             LIMIT ${batch})`,
            [job.id, cutoff],
          )) as [unknown, number];
          if (deleted + dead > 0) {
            await appendAudit(sqlExec(em), {
              actor,
              action: 'retention:purged',
              subject: { jobId: job.id },
              details: { transactions: deleted, deadLetters: dead, retentionDays: days, cutoff: cutoff.toISOString() },
            });
          }
          return { deleted, dead };
        });
        entry.purged += n.deleted;
        entry.deadLettersPurged += n.dead;
        if (n.deleted < batch && n.dead < batch) break;
      }
    }
    if (entry.expired || entry.deadLettersPurged) result.jobs.push(entry);
    result.purged += entry.purged;
    result.held += entry.held;
    result.deadLettersPurged += entry.deadLettersPurged;
  }
  if (!options.dryRun) {
    await ds.transaction((em) =>
      appendAudit(sqlExec(em), {
        actor,
        action: 'retention:completed',
        subject: { jobs: result.jobs.length },
        details: { purged: result.purged, held: result.held, deadLetters: result.deadLettersPurged },
      }),
    );
  }
  return result;
}
