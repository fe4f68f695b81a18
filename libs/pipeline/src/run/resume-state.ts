import { type SqlExec } from '@strongroom/db';
import { mergeTotals, totalsFromJson, type Totals } from '../load/integrity';

/** What a run's committed batches loaded: per-currency totals and the batch digests, in commit order. */
export interface CommittedBatches {
  totals: Totals;
  digests: string[];
}

/**
 * The state a run picks up from when it is resumed — a file run after a crash, a pause or an outage, an
 * ingest stream after a disconnect: the totals and digests of every batch committed so far, read from
 * their integrity rows, so the final reconciliation covers the whole run and not just this attempt.
 */
export async function loadCommittedBatches(exec: SqlExec, runId: string): Promise<CommittedBatches> {
  const totals: Totals = new Map();
  const digests: string[] = [];
  const rows = await exec(
    `SELECT totals, digest_sha256 FROM transaction_integrity WHERE run_id = $1 AND scope = 'BATCH' ORDER BY batch_seq`,
    [runId],
  );
  for (const b of rows as { totals: Record<string, { count: string; minor: string }>; digest_sha256: string }[]) {
    mergeTotals(totals, totalsFromJson(b.totals));
    digests.push(b.digest_sha256);
  }
  return { totals, digests };
}

/** Where a partition stands: records read in it and the byte offset after its last committed batch. */
export interface Checkpoint {
  recordsRead: number;
  byteOffset: number;
}
