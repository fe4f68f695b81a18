import { type JobRunEntity, type SqlExec } from '@strongroom/db';
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

/** Where a run's partition stands: records read and the byte offset after the last committed batch. */
export interface Checkpoint {
  recordsRead: number;
  byteOffset: number;
}

/**
 * The unit of work is a partition (a byte range) with its own checkpoint; a file is one partition today.
 * Creates the run's partition row on its first attempt and returns its position once a batch committed
 * (undefined before: the run starts at the beginning of the file).
 */
export async function partitionCheckpoint(exec: SqlExec, run: JobRunEntity): Promise<Checkpoint | undefined> {
  await exec(
    `INSERT INTO run_checkpoints (run_id, partition_no, start_byte, end_byte, batch_seq, records_read, byte_offset, loaded, dead_lettered, filtered)
     VALUES ($1, 0, 0, $2, 0, 0, 0, 0, 0, 0) ON CONFLICT (run_id, partition_no) DO NOTHING`,
    [run.id, run.sourceBytes],
  );
  const [cp] = (await exec(
    'SELECT records_read::text AS n, byte_offset::text AS b FROM run_checkpoints WHERE run_id = $1 AND partition_no = 0 AND batch_seq > 0',
    [run.id],
  )) as { n: string; b: string }[];
  return cp ? { recordsRead: Number(cp.n), byteOffset: Number(cp.b) } : undefined;
}
