import { operatorText } from '../operator-text';
import { appendAudit } from '@strongroom/audit';
import { type DataSource, DeadLetterEntity, type DeadLetterStatus, sqlExec } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { decodeIdToken, encodeIdToken, pageSize } from '../paging';

export interface DeadLetterFilter {
  runId?: string;
  jobId?: string;
  status?: DeadLetterStatus;
  reasonCode?: string;
}

/** Dead letters oldest first (by id), keyset-paginated. */
export async function listDeadLetters(
  ds: DataSource,
  filter: DeadLetterFilter,
  size: number | undefined,
  token: string | undefined,
) {
  const limit = pageSize(size);
  const qb = ds
    .getRepository(DeadLetterEntity)
    .createQueryBuilder('d')
    .orderBy('d.id', 'ASC')
    .limit(limit + 1);
  if (filter.runId) qb.andWhere('d.run_id = :runId', { runId: filter.runId });
  if (filter.jobId) qb.andWhere('d.job_id = :jobId', { jobId: filter.jobId });
  if (filter.status) qb.andWhere('d.status = :status', { status: filter.status });
  if (filter.reasonCode) qb.andWhere('d.reason_code = :reason', { reason: filter.reasonCode });
  const after = decodeIdToken(token);
  if (after !== undefined) qb.andWhere('d.id > :after', { after });
  const rows = await qb.getMany();
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return { deadLetters: page, next: rows.length > limit && last ? encodeIdToken(last.id) : '' };
}

/** How many dead letters there are per reason code under `filter` (its reason code ignored): all of them, most frequent first. */
export async function countDeadLetters(
  ds: DataSource,
  filter: Omit<DeadLetterFilter, 'reasonCode'>,
): Promise<{ reasons: { reasonCode: string; count: bigint }[]; total: bigint }> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.runId) where.push(`run_id = $${params.push(filter.runId)}`);
  if (filter.jobId) where.push(`job_id = $${params.push(filter.jobId)}`);
  if (filter.status) where.push(`status = $${params.push(filter.status)}`);
  const rows = (await ds.query(
    `SELECT reason_code, count(*)::text AS n FROM dead_letter_queue
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      GROUP BY reason_code ORDER BY count(*) DESC, reason_code`,
    params,
  )) as { reason_code: string; n: string }[];
  const reasons = rows.map((r) => ({ reasonCode: r.reason_code, count: BigInt(r.n) }));
  return { reasons, total: reasons.reduce((n, r) => n + r.count, 0n) };
}

/** A dead letter id: a bigint in decimal. */
export const ID = /^[0-9]{1,18}$/;

/** Closes PENDING entries without loading them; they stay counted as dead-lettered. Audited. */
export async function discardDeadLetters(
  ds: DataSource,
  ids: string[],
  reason: string,
  actor: string,
): Promise<{ discarded: number; skipped: number }> {
  if (!ids.length) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'ids are required');
  for (const id of ids)
    if (!ID.test(id)) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, `dead letter id "${id}" is not an id`);
  const why = operatorText(reason, 'a reason to discard dead letters', 1000);
  return ds.transaction(async (em) => {
    const found: { id: string }[] = await em.query(
      'SELECT id::text AS id FROM dead_letter_queue WHERE id = ANY($1::bigint[]) FOR UPDATE',
      [ids],
    );
    if (found.length !== new Set(ids).size)
      throw new StrongroomError(ErrorCode.NOT_FOUND, 'some dead letters were not found');
    const [done] = (await em.query(
      `UPDATE dead_letter_queue SET status = 'DISCARDED', resolution = $2, resolved_by = $3, resolved_at = now(), updated_at = now()
        WHERE id = ANY($1::bigint[]) AND status = 'PENDING' RETURNING id::text AS id, run_id`,
      [ids, why, actor],
    )) as [{ id: string; run_id: string }[], number]; // TypeORM returns [rows, count] for UPDATE
    await appendAudit(sqlExec(em), {
      actor,
      action: 'dlq:discarded',
      subject: { deadLetterIds: done.map((d) => d.id), runIds: [...new Set(done.map((d) => d.run_id))] },
      details: { reason: why, skipped: ids.length - done.length },
    });
    return { discarded: done.length, skipped: ids.length - done.length };
  });
}
