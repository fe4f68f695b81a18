import { redactPans, redactPansDeep } from '@strongroom/logging';
import { canonicalJson } from './canonical';
import { bodyAroundSeq, entryHash, type HashedEntry } from './entry-hash';

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

/** The chain's last entry as the next append sees it: its seq (0 for an empty chain) and hash. */
interface AuditTail {
  seq: number;
  hash: string;
}

/**
 * Takes the append lock (a transaction-level advisory lock, held until the caller's transaction ends) and
 * reads the chain's last entry as of after the wait, in one round trip (a volatile function: its read takes a
 * fresh snapshot). Concurrent appenders form one chain with gap-free `seq`.
 */
async function readAuditTail(exec: SqlExec): Promise<AuditTail> {
  const [last] = await exec('SELECT seq, hash FROM strongroom_audit_tail($1)', [AUDIT_LOCK_KEY]);
  return last ? { seq: Number(last.seq), hash: String(last.hash) } : { seq: 0, hash: GENESIS_HASH };
}

/** The columns of an audit row, in the order of auditEntry's row values. */
const AUDIT_COLUMNS = 'seq, occurred_at, actor, action, subject, details, prev_hash, hash';

function checkAction(action: string): void {
  if (!/^[a-z_]+:[a-z_]+$/.test(action)) throw new Error(`audit action must be noun:verb, got ${action}`);
}

/** The entry's fields as the chain keeps them: every text passes the card-data detector (PCI DSS 3.5.1). */
function entryBody(input: AuditEntryInput): Omit<HashedEntry, 'seq'> {
  checkAction(input.action);
  // an operator's reason, a hold value or an error message quoting a card number is kept masked, never in clear
  return {
    occurredAt: new Date().toISOString(),
    actor: redactPans(input.actor),
    action: input.action,
    subject: redactPansDeep(input.subject) as Record<string, unknown>,
    details: redactPansDeep(input.details ?? {}) as Record<string, unknown>,
  };
}

/** The entry that follows `tail`, with its hash, and the values of its row (AUDIT_COLUMNS). */
function auditEntry(tail: AuditTail, input: AuditEntryInput): { entry: AuditEntry; row: string[] } {
  const body = { seq: tail.seq + 1, ...entryBody(input) };
  const hash = entryHash(tail.hash, body);
  return {
    entry: { ...body, prevHash: tail.hash, hash },
    row: [
      String(body.seq),
      body.occurredAt,
      body.actor,
      body.action,
      canonicalJson(body.subject),
      canonicalJson(body.details),
      tail.hash,
      hash,
    ],
  };
}

/**
 * One statement without parameters (its values written by `literal` as SQL string literals) that appends the
 * entry inside the caller's open transaction: it takes the append lock, reads the chain's tail, and inserts the
 * entry with the hash the database computes — SHA-256 over the previous hash's 32 bytes and the UTF-8 of the
 * entry's canonical JSON, the bytes entryHash hashes (the JSON is written here around its seq, which the
 * statement fills in). Having no parameters, it can go in one message with COMMIT: a batch's last round trip
 * appends its audit entry and commits.
 */
export function appendAuditStatement(input: AuditEntryInput, literal: (text: string) => string): string {
  const e = entryBody(input);
  // the entry's canonical JSON around its seq, as entryHash writes it
  const [before, after] = bodyAroundSeq(e);
  return `WITH t AS (SELECT seq::bigint AS seq, hash FROM strongroom_audit_tail(${AUDIT_LOCK_KEY})),
       x AS (SELECT coalesce((SELECT seq FROM t), 0) + 1 AS seq, coalesce((SELECT hash FROM t), '${GENESIS_HASH}') AS prev)
  INSERT INTO immutable_audit_log (${AUDIT_COLUMNS})
  SELECT x.seq, ${literal(e.occurredAt)}, ${literal(e.actor)}, ${literal(e.action)}, ${literal(canonicalJson(e.subject))},
         ${literal(canonicalJson(e.details))}, x.prev,
         encode(sha256(decode(x.prev, 'hex') || convert_to(${literal(before)} || x.seq::text || ${literal(after)}, 'UTF8')), 'hex')
    FROM x`;
}

/**
 * Appends one entry inside the caller's open transaction, so the entry commits (or rolls back) with
 * the change it records. Appends are serialized by the append lock (readAuditTail): concurrent
 * appenders form one chain with gap-free `seq`. Call it last in the transaction to hold the lock briefly.
 */
export async function appendAudit(exec: SqlExec, input: AuditEntryInput): Promise<AuditEntry> {
  checkAction(input.action); // refused before the lock is taken
  const { entry, row } = auditEntry(await readAuditTail(exec), input);
  await exec(`INSERT INTO immutable_audit_log (${AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, row);
  return entry;
}
