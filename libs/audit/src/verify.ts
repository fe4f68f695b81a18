import { type KeyObject } from 'node:crypto';
import { entryHash, GENESIS_HASH, type SqlExec } from './chain';
import { checkpointSignatureValid, ENTRY_HASH_PREFIX, type Checkpoint } from './checkpoint';

/** The kinds of tampering verification tells apart. */
export type TamperKind =
  'modified' | 'deleted' | 'inserted' | 'reordered' | 'truncated' | 'rehashed' | 'forged-checkpoint';

export type VerifyResult =
  | { ok: true; entries: number; firstSeq: number; lastSeq: number; lastHash: string; checkpointsChecked: number }
  | { ok: false; entries: number; firstBadSeq: number; kind: TamperKind; message: string; checkpointsChecked: number };

export interface VerifyOptions {
  /** Checkpoints to hold the chain against (from the database and/or exported files). */
  checkpoints?: Checkpoint[];
  /** The key checkpoints must be signed with; required when checkpoints are given. */
  publicKey?: KeyObject;
  /** Verify incrementally, trusting this (signature-checked) checkpoint and what precedes it. */
  from?: Checkpoint;
  /**
   * The chain's entry hashes as an exported checkpoint recorded them (prefixes, see ExportedCheckpoint):
   * a rewritten chain is then named at the first entry that differs, not at the checkpoint.
   */
  recorded?: { fromSeq: number; prefixes: string; seq: number; hash: string };
  pageSize?: number;
}

interface Row {
  seq: number;
  occurredAt: string;
  actor: string;
  action: string;
  subject: Record<string, unknown>;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

const rowOf = (r: Record<string, unknown>): Row => ({
  seq: Number(r.seq),
  occurredAt: (r.occurred_at as Date).toISOString(),
  actor: String(r.actor),
  action: String(r.action),
  subject: r.subject as Record<string, unknown>,
  details: r.details as Record<string, unknown>,
  prevHash: String(r.prev_hash),
  hash: String(r.hash),
});

/** Whether the row's stored hash is right for its content as if its seq were `seq`. */
const hashFits = (r: Row, seq: number) => {
  try {
    return entryHash(r.prevHash, { ...r, seq }) === r.hash;
  } catch {
    return false; // a prev_hash that is not 32 bytes of hex (the table's check dropped, then edited): modified
  }
};

/** -1/+1: the row's content carries the seq one below/above its position (renumbered); 0: neither. */
const shiftOf = (r: Row | undefined): -1 | 0 | 1 =>
  !r ? 0 : hashFits(r, r.seq - 1) ? -1 : hashFits(r, r.seq + 1) ? 1 : 0;

/**
 * Verifies the chain from genesis (or from a trusted checkpoint) in pages, memory independent of its
 * length, and names the first bad seq with the kind of tampering:
 * - modified: an entry's content no longer matches its hash (or its link was rewritten);
 * - deleted: a seq is missing, or later entries were renumbered down to hide a removal;
 * - inserted: an entry was added and later entries renumbered up;
 * - reordered: entries were swapped;
 * - truncated: the chain ends before a signed checkpoint;
 * - rehashed: the chain is internally consistent but differs from a signed checkpoint (edited, then
 *   every later hash recomputed) — the bad seq is the first after the last checkpoint that still holds;
 * - forged-checkpoint: a checkpoint's signature does not verify with the trusted key.
 */
export async function verifyChain(exec: SqlExec, options: VerifyOptions = {}): Promise<VerifyResult> {
  const pageSize = options.pageSize ?? 10_000;
  const all = [...(options.checkpoints ?? []), ...(options.from ? [options.from] : [])];
  // the same checkpoint may come from the database and from a file: count it once (different claims about one seq stay separate)
  const cps = all
    .filter((c, i) => all.findIndex((d) => d.seq === c.seq && d.hash === c.hash && d.signature === c.signature) === i)
    .sort((a, b) => a.seq - b.seq);
  let entries = 0;
  const fail = (firstBadSeq: number, kind: TamperKind, message: string): VerifyResult => ({
    ok: false,
    entries,
    firstBadSeq,
    kind,
    message,
    checkpointsChecked: cps.length,
  });
  if (cps.length && !options.publicKey) throw new Error('verifying against checkpoints needs the trusted public key');
  for (const c of cps) {
    if (!checkpointSignatureValid(c, options.publicKey as KeyObject))
      return fail(c.seq, 'forged-checkpoint', `the checkpoint at seq ${c.seq} is not signed by the trusted key`);
  }
  const bySeq = new Map(cps.map((c) => [c.seq, c]));
  // the recorded hashes count only when they end in the signed checkpoint's own hash
  const rec = options.recorded;
  const P = ENTRY_HASH_PREFIX;
  const recorded =
    rec && cps.some((c) => c.seq === rec.seq && c.hash === rec.hash) && rec.prefixes.slice(-P) === rec.hash.slice(0, P)
      ? rec
      : undefined;
  const recordedAt = (seq: number) =>
    recorded && seq >= recorded.fromSeq && seq <= recorded.seq
      ? recorded.prefixes.slice((seq - recorded.fromSeq) * P, (seq - recorded.fromSeq + 1) * P)
      : undefined;
  let lastGoodCheckpoint = options.from?.seq ?? 0;
  let expect = 1;
  let prev = GENESIS_HASH;
  if (options.from) {
    const [r] = await exec('SELECT l.seq::text AS seq, l.hash FROM immutable_audit_log l WHERE l.seq = $1', [
      options.from.seq,
    ]);
    if (!r)
      return fail(
        options.from.seq,
        'truncated',
        `the chain no longer has seq ${options.from.seq} of the trusted checkpoint`,
      );
    if (r.hash !== options.from.hash)
      return fail(options.from.seq, 'rehashed', `seq ${options.from.seq} differs from the trusted checkpoint`);
    expect = options.from.seq + 1;
    prev = options.from.hash;
  }
  const firstSeq = expect;
  let pending: Row[];
  const fetch = async (from: number) =>
    (
      await exec(
        `SELECT l.seq::text AS seq, l.occurred_at, l.actor, l.action, l.subject, l.details, l.prev_hash, l.hash
           FROM immutable_audit_log l WHERE l.seq >= $1 ORDER BY l.seq LIMIT $2`,
        [from, pageSize],
      )
    ).map(rowOf);
  // the next page is fetched while this one is hashed (database and CPU overlap)
  let prefetch: Promise<Row[]> | undefined;
  const nextPage = (rows: Row[]) => {
    const p = rows.length === pageSize ? fetch((rows[rows.length - 1] as Row).seq + 1) : Promise.resolve([]);
    p.catch(() => undefined); // a verification that stops early leaves it unread
    return p;
  };
  pending = await fetch(expect);
  prefetch = nextPage(pending);
  for (let i = 0; ; i++) {
    if (i >= pending.length) {
      if (pending.length < pageSize) break;
      pending = await (prefetch as Promise<Row[]>);
      prefetch = nextPage(pending);
      i = -1;
      continue;
    }
    const row = pending[i] as Row;
    const next = pending[i + 1] ?? (pending.length === pageSize ? (await (prefetch as Promise<Row[]>))[0] : undefined);
    if (row.seq !== expect) return fail(expect, 'deleted', `seq ${expect} is missing`);
    if (!hashFits(row, row.seq)) {
      const s = shiftOf(row);
      const n = shiftOf(next);
      if (s === 1 && n === -1)
        return fail(row.seq, 'reordered', `seq ${row.seq} holds the entry written as seq ${row.seq + 1}`);
      if (s === 1)
        return fail(row.seq, 'deleted', `an entry before seq ${row.seq} was removed and later entries renumbered`);
      if (s === -1)
        return fail(row.seq - 1, 'inserted', `seq ${row.seq - 1} was inserted and later entries renumbered`);
      if (n === -1) return fail(row.seq, 'inserted', `seq ${row.seq} was inserted and later entries renumbered`);
      return fail(row.seq, 'modified', `seq ${row.seq} does not match its hash`);
    }
    if (row.prevHash !== prev) return fail(row.seq, 'modified', `seq ${row.seq} does not link to seq ${row.seq - 1}`);
    const was = recordedAt(row.seq);
    if (was !== undefined && was !== row.hash.slice(0, P))
      return fail(
        row.seq,
        'rehashed',
        `seq ${row.seq} is not the entry the exported checkpoint at seq ${(recorded as { seq: number }).seq} recorded: it was changed and every later hash recomputed`,
      );
    const cp = bySeq.get(row.seq);
    if (cp && cp.hash !== row.hash) {
      return fail(
        lastGoodCheckpoint + 1,
        'rehashed',
        `the chain differs from the signed checkpoint at seq ${cp.seq}: rewritten after seq ${lastGoodCheckpoint}`,
      );
    }
    if (cp) lastGoodCheckpoint = cp.seq;
    prev = row.hash;
    expect++;
    entries++;
  }
  const lastSeq = expect - 1;
  const beyond = cps.find((c) => c.seq > lastSeq);
  if (beyond)
    return fail(
      lastSeq + 1,
      'truncated',
      `the chain ends at seq ${lastSeq} but a signed checkpoint covers seq ${beyond.seq}`,
    );
  return { ok: true, entries, firstSeq, lastSeq, lastHash: prev, checkpointsChecked: cps.length };
}
