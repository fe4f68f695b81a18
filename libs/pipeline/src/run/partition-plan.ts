import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { openCsvSource, openJsonlSource, type CsvSource } from '@strongroom/connectors';

/** One byte range of a file run, executed (and taken over) on its own. */
export interface PlannedPartition {
  partitionNo: number;
  /** First byte of the range (0 for the first partition: it holds the BOM and the header). */
  startByte: number;
  /** Byte after the range (the next partition's startByte, or the file's size). */
  endByte: number;
  /** Records of the file before this range: its first record is recordsBefore + 1. */
  recordsBefore: number;
  /** SHA-256 of the range's bytes: a replica that reads the range checks it read what was planned. */
  sha256: string;
}

export interface PartitionPlan {
  /** SHA-256 of the whole file (must equal the one taken when the run was submitted). */
  sha256: string;
  bytes: number;
  partitions: PlannedPartition[];
}

/** Default partition size (STRONGROOM_PARTITION_BYTES). */
export const DEFAULT_PARTITION_BYTES = 64 * 1024 * 1024;

/**
 * Plans a CSV (or JSON lines) file run's partitions in one pass of the run's own reader over the file: a cut is made
 * only where that reader ends a record (after its line break; a newline inside a quoted field, a CRLF,
 * a BOM, a malformed or over-long line are the reader's business, not a second parser's), once the
 * range since the last cut reaches `partitionBytes`. So the partitions concatenate to the file and,
 * each read on its own, give exactly the records of one serial read, with the same record numbers.
 * A second, plain pass hashes each range.
 */
export async function planCsvPartitions(options: {
  path: string;
  delimiter?: string;
  partitionBytes: number;
  maxRecordBytes?: number;
  /** A JSON lines file: cut where its reader ends a line (the mapped paths do not matter to the cuts). */
  jsonl?: boolean;
}): Promise<PartitionPlan> {
  const whole = createHash('sha256');
  const common = {
    path: options.path,
    ...(options.maxRecordBytes ? { maxRecordBytes: options.maxRecordBytes } : {}),
    hash: whole,
  };
  const source: CsvSource = options.jsonl
    ? await openJsonlSource({ ...common, paths: [] })
    : await openCsvSource({ ...common, ...(options.delimiter ? { delimiter: options.delimiter } : {}) });
  const cuts: { byte: number; records: number }[] = [];
  try {
    let start = 0;
    for await (const batch of source.records({ records: 8192 })) {
      for (const r of batch) {
        if (r.byteEnd - start >= options.partitionBytes) {
          cuts.push({ byte: r.byteEnd, records: r.recordNo });
          start = r.byteEnd;
        }
      }
    }
  } finally {
    source.close();
  }
  const bytes = (await fs.promises.stat(options.path)).size;
  if (cuts.length && cuts[cuts.length - 1]?.byte === bytes) cuts.pop(); // no empty last partition
  const bounds = [{ byte: 0, records: 0 }, ...cuts];
  const ranges = bounds.map((b, i) => ({ start: b.byte, end: bounds[i + 1]?.byte ?? bytes }));
  const digests = await rangeDigests(options.path, ranges);
  return {
    sha256: whole.digest('hex'),
    bytes,
    partitions: bounds.map((b, i) => ({
      partitionNo: i,
      startByte: b.byte,
      endByte: ranges[i]?.end as number,
      recordsBefore: b.records,
      sha256: digests[i] as string,
    })),
  };
}

/** The whole file as one partition (a bank format, whose records cannot be split safely). */
export function singlePartition(bytes: number, sha256: string): PlannedPartition[] {
  return [{ partitionNo: 0, startByte: 0, endByte: bytes, recordsBefore: 0, sha256 }];
}

/** SHA-256 of each of the consecutive `ranges` of a file, in one sequential read. */
async function rangeDigests(file: string, ranges: { start: number; end: number }[]): Promise<string[]> {
  const hashes = ranges.map(() => createHash('sha256'));
  let pos = 0;
  let i = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let at = 0;
    while (at < chunk.length && i < ranges.length) {
      const take = Math.min(chunk.length - at, (ranges[i] as { end: number }).end - pos);
      hashes[i]?.update(chunk.subarray(at, at + take));
      at += take;
      pos += take;
      if (pos >= (ranges[i] as { end: number }).end) i++;
    }
  }
  return hashes.map((h) => h.digest('hex'));
}
