import { appendAudit } from '@strongroom/audit';
import { isEncrypted, keyIdOf, reencryptField, type KeyProvider } from '@strongroom/compliance';
import { type DataSource, sqlExec } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';

export interface KeyRotation {
  id: string;
  toKeyId: string;
  status: 'RUNNING' | 'DONE' | 'FAILED';
  txCursor: string;
  dlqCursor: string;
  valuesReencrypted: string;
  requestedBy: string;
  startedAt: Date;
  finishedAt: Date | null;
  error: string | null;
}

const SELECT = `SELECT id, to_key_id AS "toKeyId", status, tx_cursor::text AS "txCursor", dlq_cursor::text AS "dlqCursor",
                       values_reencrypted::text AS "valuesReencrypted", requested_by AS "requestedBy", started_at AS "startedAt",
                       finished_at AS "finishedAt", error FROM key_rotations`;

/** Records a rotation to `toKeyId` (the key ring's new current key) and audits it. One at a time. */
export async function startKeyRotation(ds: DataSource, toKeyId: string, actor: string): Promise<KeyRotation> {
  return ds.transaction(async (em) => {
    const [running] = (await em.query(`${SELECT} WHERE status = 'RUNNING'`)) as KeyRotation[];
    if (running)
      throw new StrongroomError(
        ErrorCode.FAILED_PRECONDITION,
        `key rotation ${running.id} to ${running.toKeyId} is still running`,
      );
    const [r] = (await em.query(`INSERT INTO key_rotations (to_key_id, requested_by) VALUES ($1, $2) RETURNING id`, [
      toKeyId,
      actor,
    ])) as { id: string }[];
    await appendAudit(sqlExec(em), {
      actor,
      action: 'keys:rotation_started',
      subject: { rotationId: r?.id },
      details: { toKeyId },
    });
    return (await em.query(`${SELECT} WHERE id = $1`, [r?.id]))[0] as KeyRotation;
  });
}

export async function getKeyRotation(ds: DataSource, id?: string): Promise<KeyRotation | undefined> {
  const rows = (await (id
    ? ds.query(`${SELECT} WHERE id = $1`, [id])
    : ds.query(`${SELECT} ORDER BY started_at DESC LIMIT 1`))) as KeyRotation[];
  return rows[0];
}

export async function runningKeyRotation(ds: DataSource): Promise<KeyRotation | undefined> {
  return ((await ds.query(`${SELECT} WHERE status = 'RUNNING'`)) as KeyRotation[])[0];
}

const TX_COLUMNS = ['account', 'counterparty_account', 'counterparty_name', 'reference'] as const;

/**
 * Re-encrypts every encrypted value not yet under the rotation's key: the sink's RESTRICTED columns,
 * the DLQ's raw records, then the alerts (account, screened name). Works in batches, each one
 * transaction that also moves the rotation's cursor — so after a crash it resumes where it stopped,
 * and a value is never left unreadable (old keys stay in the ring). Audited when it ends.
 */
export async function runKeyRotation(
  ds: DataSource,
  keys: KeyProvider,
  rotationId: string,
  options: { batchSize?: number; crash?: (point: string) => void; stopped?: () => boolean } = {},
): Promise<KeyRotation> {
  const n = options.batchSize ?? 1000;
  const to = keys.current().id;
  const move = (column: string, v: string | null) =>
    v !== null && isEncrypted(v) && keyIdOf(v) !== to ? reencryptField(keys, column, v) : v;
  for (;;) {
    if (options.stopped?.()) break;
    const step = await ds.transaction(async (em) => {
      const [r] = (await em.query(`${SELECT} WHERE id = $1 FOR UPDATE`, [rotationId])) as KeyRotation[];
      if (!r || r.status !== 'RUNNING') return 'stop';
      if (r.toKeyId !== to) {
        await em.query(`UPDATE key_rotations SET status = 'FAILED', finished_at = now(), error = $2 WHERE id = $1`, [
          rotationId,
          `the key ring's current key is ${to}, not ${r.toKeyId}`,
        ]);
        await appendAudit(sqlExec(em), {
          actor: 'service:engine',
          action: 'keys:rotation_failed',
          subject: { rotationId },
          details: { toKeyId: r.toKeyId, currentKeyId: to },
        });
        return 'stop';
      }
      // 1. the sink
      const tx = (await em.query(
        `SELECT id::text AS id, ${TX_COLUMNS.join(', ')} FROM transactions WHERE id > $1 ORDER BY transactions.id LIMIT ${n}`,
        [r.txCursor],
      )) as Record<string, string | null>[];
      if (tx.length) {
        let moved = 0;
        const changed = tx.flatMap((row) => {
          const next = TX_COLUMNS.map((c) => move(c, row[c] ?? null));
          const diff = next.filter((v, i) => v !== (row[TX_COLUMNS[i] as string] ?? null)).length;
          moved += diff;
          return diff ? [{ id: row['id'] as string, next }] : [];
        });
        if (changed.length) {
          await em.query(
            `UPDATE transactions t SET account = u.a, counterparty_account = u.ca, counterparty_name = u.cn, reference = u.r
               FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) AS u(id, a, ca, cn, r) WHERE t.id = u.id`,
            [changed.map((c) => c.id), ...TX_COLUMNS.map((_, i) => changed.map((c) => c.next[i]))],
          );
        }
        await em.query(
          `UPDATE key_rotations SET tx_cursor = $2, values_reencrypted = values_reencrypted + $3 WHERE id = $1`,
          [rotationId, tx[tx.length - 1]?.['id'], moved],
        );
        return 'more';
      }
      // 2. the dead-letter queue
      const dlq = (await em.query(
        `SELECT id::text AS id, raw_record FROM dead_letter_queue WHERE id > $1 ORDER BY dead_letter_queue.id LIMIT ${n}`,
        [r.dlqCursor],
      )) as { id: string; raw_record: string }[];
      if (dlq.length) {
        const changed = dlq
          .map((d) => ({ id: d.id, next: move('raw_record', d.raw_record) as string }))
          .filter((d, i) => d.next !== dlq[i]?.raw_record);
        if (changed.length) {
          await em.query(
            `UPDATE dead_letter_queue d SET raw_record = u.raw FROM unnest($1::bigint[], $2::text[]) AS u(id, raw) WHERE d.id = u.id`,
            [changed.map((c) => c.id), changed.map((c) => c.next)],
          );
        }
        await em.query(
          `UPDATE key_rotations SET dlq_cursor = $2, values_reencrypted = values_reencrypted + $3 WHERE id = $1`,
          [rotationId, dlq[dlq.length - 1]?.id, changed.length],
        );
        return 'more';
      }
      // 3. alerts (few): the encrypted account and screened name they keep as evidence
      const stale = `enc:v1:${to}:%`;
      const alerts = (await em.query(
        `SELECT id, account, evidence->>'screenedName' AS name FROM compliance_alerts
          WHERE (account LIKE 'enc:v1:%' AND account NOT LIKE $1) OR (evidence->>'screenedName' LIKE 'enc:v1:%' AND evidence->>'screenedName' NOT LIKE $1) LIMIT ${n}`,
        [stale],
      )) as { id: string; account: string; name: string | null }[];
      if (alerts.length) {
        for (const a of alerts) {
          await em.query(
            `UPDATE compliance_alerts SET account = $2, evidence = CASE WHEN $3::text IS NULL THEN evidence ELSE jsonb_set(evidence, '{screenedName}', to_jsonb($3::text)) END WHERE id = $1`,
            [a.id, move('account', a.account), a.name === null ? null : move('counterparty_name', a.name)],
          );
        }
        await em.query(`UPDATE key_rotations SET values_reencrypted = values_reencrypted + $2 WHERE id = $1`, [
          rotationId,
          alerts.length,
        ]);
        return 'more';
      }
      await em.query(`UPDATE key_rotations SET status = 'DONE', finished_at = now() WHERE id = $1`, [rotationId]);
      await appendAudit(sqlExec(em), {
        actor: 'service:engine',
        action: 'keys:rotated',
        subject: { rotationId },
        details: { toKeyId: to, valuesReencrypted: Number(r.valuesReencrypted) },
      });
      return 'done';
    });
    if (step !== 'more') break;
    options.crash?.('rotation:batch');
  }
  return (await getKeyRotation(ds, rotationId)) as KeyRotation;
}
