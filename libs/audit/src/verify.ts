import { entryHash, GENESIS_HASH, type SqlExec } from './chain';

export type VerifyResult =
  | { ok: true; entries: number; lastSeq: number; lastHash: string }
  | { ok: false; entries: number; firstBadSeq: number; kind: 'modified' | 'gap' | 'broken-link'; message: string };

/**
 * Recomputes the chain from genesis in pages (memory independent of its length) and names the first
 * bad seq: an entry whose hash does not match its content (modified), a missing seq (gap: deleted or
 * truncated), or a prev_hash that is not the previous entry's hash (broken link: inserted/reordered).
 */
export async function verifyChain(exec: SqlExec, pageSize = 10_000): Promise<VerifyResult> {
  let prev = GENESIS_HASH;
  let expectSeq = 1;
  let entries = 0;
  for (;;) {
    const rows = await exec(
      `SELECT l.seq::text AS seq, l.occurred_at, l.actor, l.action, l.subject, l.details, l.prev_hash, l.hash
         FROM immutable_audit_log l WHERE l.seq >= $1 ORDER BY l.seq LIMIT $2`,
      [expectSeq, pageSize],
    );
    for (const r of rows) {
      const seq = Number(r.seq);
      if (seq !== expectSeq) return { ok: false, entries, firstBadSeq: expectSeq, kind: 'gap', message: `seq ${expectSeq} is missing` };
      if (r.prev_hash !== prev) return { ok: false, entries, firstBadSeq: seq, kind: 'broken-link', message: `seq ${seq} does not link to seq ${seq - 1}` };
      const occurredAt = (r.occurred_at as Date).toISOString();
      const h = entryHash(prev, { seq, occurredAt, actor: String(r.actor), action: String(r.action), subject: r.subject as Record<string, unknown>, details: r.details as Record<string, unknown> });
      if (h !== r.hash) return { ok: false, entries, firstBadSeq: seq, kind: 'modified', message: `seq ${seq} does not match its hash` };
      prev = String(r.hash);
      expectSeq++;
      entries++;
    }
    if (rows.length < pageSize) return { ok: true, entries, lastSeq: expectSeq - 1, lastHash: prev };
  }
}
