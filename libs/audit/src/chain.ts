import { redactPans, redactPansDeep } from '@strongroom/logging';
import { canonicalJson } from './canonical';
import { entryHash } from './entry-hash';

/** Runs SQL inside the caller's transaction and returns the rows (adapt pg or TypeORM to this). */
export type SqlExec = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

export interface AuditEntryInput {
  /** Who: `user:<sub>` or `service:<name>`. */
  actor: string;
  /** What: `noun:verb`, e.g. `batch:committed`. */
  action: string;
  /** Which: ids of the job, run, batch, dead letters, breaker… */
  subject: Record<string, unknown>;
  details?: Record<string, unknown>;
}

export interface AuditEntry extends Required<AuditEntryInput> {
  seq: number;
  occurredAt: string;
  prevHash: string;
  hash: string;
}

export { entryHash };

export const GENESIS_HASH = '0'.repeat(64);
/** Transaction-level advisory lock that serializes appends (held until the caller commits). */
export const AUDIT_LOCK_KEY = 7_382_611_002;

/**
 * Appends one entry inside the caller's open transaction, so the entry commits (or rolls back) with
 * the change it records. Appends are serialized by a transaction-level advisory lock: concurrent
 * appenders form one chain with gap-free `seq`. Call it last in the transaction to hold the lock briefly.
 */
export async function appendAudit(exec: SqlExec, input: AuditEntryInput): Promise<AuditEntry> {
  if (!/^[a-z_]+:[a-z_]+$/.test(input.action)) throw new Error(`audit action must be noun:verb, got ${input.action}`);
  // the append lock, then the chain's last entry as of after the wait (one round trip: a volatile function)
  const [last] = await exec('SELECT seq, hash FROM strongroom_audit_tail($1)', [AUDIT_LOCK_KEY]);
  const seq = last ? Number(last.seq) + 1 : 1;
  const prevHash = last ? String(last.hash) : GENESIS_HASH;
  // every text the chain keeps passes the card-data detector (PCI DSS 3.5.1): an operator's reason, a
  // hold value or an error message quoting a card number is kept masked, never in clear
  const entry = {
    seq,
    occurredAt: new Date().toISOString(),
    actor: redactPans(input.actor),
    action: input.action,
    subject: redactPansDeep(input.subject) as Record<string, unknown>,
    details: redactPansDeep(input.details ?? {}) as Record<string, unknown>,
  };
  const hash = entryHash(prevHash, entry);
  await exec(
    `INSERT INTO immutable_audit_log (seq, occurred_at, actor, action, subject, details, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      seq,
      entry.occurredAt,
      entry.actor,
      entry.action,
      canonicalJson(entry.subject),
      canonicalJson(entry.details),
      prevHash,
      hash,
    ],
  );
  return { ...entry, prevHash, hash };
}
