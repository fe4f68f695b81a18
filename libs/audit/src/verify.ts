import { type KeyObject } from 'node:crypto';
import { GENESIS_HASH, type SqlExec } from './chain';
import { hashPage, type PageResult } from './entry-hash';
import { HashPool } from './hash-pool';
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
  /**
   * Worker threads hashing pages while the next ones are fetched (default HashPool.defaultSize(); 0: hash
   * on this thread). They start only when the chain is longer than one page.
   */
  hashWorkers?: number;
}

// one page as one JSON text (see PageEntry): no row objects, Dates or JSON objects built on this thread
// occurred_at as toISOString wrote it at append time (years 1–9999); outside that range to_char would drop
// the era (a BC date would read as the AD one), so such a time is given as text that matches no hash
const PAGE_SQL = `SELECT count(*)::int AS n, max(l.seq)::text AS last,
         coalesce(json_agg(json_build_array(l.seq,
           CASE WHEN l.occurred_at >= '0001-01-01T00:00:00Z' AND l.occurred_at < '10000-01-01T00:00:00Z'
                THEN to_char(l.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
                ELSE 'out of range: ' || l.occurred_at::text END,
                                            l.actor, l.action, l.subject, l.details, l.prev_hash, l.hash) ORDER BY l.seq)::text, '[]') AS page
    FROM (SELECT * FROM immutable_audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2) l`;

interface Page {
  count: number;
  last: number;
  result: Promise<PageResult>;
}

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
  const fetch = async (from: number) => {
    const [r] = await exec(PAGE_SQL, [from, pageSize]);
    return { count: Number(r?.n ?? 0), last: Number(r?.last ?? 0), page: String(r?.page ?? '[]') };
  };
  const first = await fetch(expect);
  let stopped = false;
  // a chain longer than a page: workers hash the pages while this thread fetches and checks the links
  const workers = first.count === pageSize ? (options.hashWorkers ?? HashPool.defaultSize()) : 0;
  const pool = workers > 0 ? HashPool.start(workers) : undefined;
  try {
    const hashed = (f: { count: number; last: number; page: string }): Page => {
      // inline: after this turn, so that the next page's fetch is sent first
      const result = pool
        ? pool.hashPage(f.page)
        : new Promise<PageResult>((resolve, reject) =>
            setImmediate(() => {
              try {
                resolve(hashPage(f.page));
              } catch (err) {
                reject(err as Error);
              }
            }),
          );
      result.catch(() => undefined); // a verification that stops early leaves it unread
      return { count: f.count, last: f.last, result };
    };
    // pages in flight, in order: each is fetched after the one before it (keyset) and hashed as it arrives
    const queue: Promise<Page>[] = [Promise.resolve(hashed(first))];
    const fill = () => {
      while (queue.length < workers + 2) {
        // once verification has returned, no further page is asked for (the caller may reuse its connection)
        const p = (queue[queue.length - 1] as Promise<Page>).then(async (before) =>
          before.count === pageSize && !stopped
            ? hashed(await fetch(before.last + 1))
            : hashed({ count: 0, last: 0, page: '[]' }),
        );
        p.catch(() => undefined);
        queue.push(p);
      }
    };
    fill();
    for (;;) {
      const page = await (queue[0] as Promise<Page>);
      const r = await page.result;
      const hashAt = (i: number) => r.hashes.slice(i * 64, i * 64 + 64);
      const n = r.seqs.length;
      for (let i = 0; i < n; i++) {
        const seq = r.seqs[i] as number;
        if (seq !== expect) return fail(expect, 'deleted', `seq ${expect} is missing`);
        if (!r.fits[i]) {
          // the entry after it: in this page, or the first of the next
          let after: { fits: number; shift: number } | undefined;
          if (i + 1 < n) after = { fits: r.fits[i + 1] as number, shift: r.shifts[i + 1] as number };
          else if (n === pageSize) {
            const next = await (await (queue[1] as Promise<Page>)).result;
            if (next.seqs.length) after = { fits: next.fits[0] as number, shift: next.shifts[0] as number };
          }
          const s = r.shifts[i];
          const nextShift = after && !after.fits ? after.shift : 0;
          if (s === 1 && nextShift === -1)
            return fail(seq, 'reordered', `seq ${seq} holds the entry written as seq ${seq + 1}`);
          if (s === 1)
            return fail(seq, 'deleted', `an entry before seq ${seq} was removed and later entries renumbered`);
          if (s === -1) return fail(seq - 1, 'inserted', `seq ${seq - 1} was inserted and later entries renumbered`);
          if (nextShift === -1) return fail(seq, 'inserted', `seq ${seq} was inserted and later entries renumbered`);
          return fail(seq, 'modified', `seq ${seq} does not match its hash`);
        }
        if (i === 0 ? r.firstPrev !== prev : !r.links[i])
          return fail(seq, 'modified', `seq ${seq} does not link to seq ${seq - 1}`);
        const was = recordedAt(seq);
        if (was !== undefined && was !== hashAt(i).slice(0, P))
          return fail(
            seq,
            'rehashed',
            `seq ${seq} is not the entry the exported checkpoint at seq ${(recorded as { seq: number }).seq} recorded: it was changed and every later hash recomputed`,
          );
        const cp = bySeq.get(seq);
        if (cp && cp.hash !== hashAt(i)) {
          return fail(
            lastGoodCheckpoint + 1,
            'rehashed',
            `the chain differs from the signed checkpoint at seq ${cp.seq}: rewritten after seq ${lastGoodCheckpoint}`,
          );
        }
        if (cp) lastGoodCheckpoint = cp.seq;
        expect++;
        entries++;
      }
      if (n) prev = hashAt(n - 1);
      if (n < pageSize) break;
      queue.shift();
      fill();
    }
  } finally {
    stopped = true;
    await pool?.close();
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
