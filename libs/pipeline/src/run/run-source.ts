import { type Hash } from 'node:crypto';
import { openBankSource, openCsvSource, openJsonlSource, type CsvSource } from '@strongroom/connectors';
import { isBankSource, recordLayout, type RunFileSource } from '../jobs/job-definition';
import { type Checkpoint } from './resume-state';
import { type PartitionLease } from './partition-lease';
import { type RunContext } from './run-context';
import { throughSource } from './source-outage';

/**
 * Opens a file run's source at its checkpoint, through the file-source breaker: a bank file by its
 * format's streaming reader (from the record after the checkpoint), a CSV file from the checkpoint's byte
 * offset (a JSON lines file likewise) — only the partition's byte range when given. Every byte read (of the range) is fed to `hash`,
 * which must end equal to the planned SHA-256.
 */
export function openRunSource(
  ctx: RunContext,
  src: RunFileSource,
  hash: Hash,
  cp: Checkpoint | undefined,
  partition?: Pick<PartitionLease, 'startByte' | 'endByte' | 'recordsBefore'>,
): Promise<CsvSource> {
  return throughSource(ctx.source, src.path, () =>
    isBankSource(src)
      ? openBankSource({
          path: src.path,
          format: src.kind,
          customReturnCodes: src.customReturnCodes ?? false,
          lenient: src.strictness === 'lenient',
          hash,
          // the breaker guards each read of the file, not the parsing between reads
          readThrough: (read) => throughSource(ctx.source, src.path, read),
          ...(cp ? { startRecordNo: cp.recordsRead } : {}),
        })
      : src.kind === 'jsonl'
        ? openJsonlSource({
            path: src.path,
            paths: recordLayout(src).paths ?? [],
            hash,
            chunkBytes: 256 * 1024,
            ...(partition ? { range: { start: partition.startByte, end: partition.endByte } } : {}),
            startRecordNo: (partition?.recordsBefore ?? 0) + (cp?.recordsRead ?? 0),
            ...(cp ? { startByte: cp.byteOffset } : {}),
          })
        : openCsvSource({
            path: src.path,
            delimiter: src.delimiter,
            hash,
            // parsed a chunk at a time on the event loop: smaller chunks keep the commit in flight streaming
            chunkBytes: 256 * 1024,
            // a partition is its byte range; its records are numbered from the records before it
            ...(partition ? { range: { start: partition.startByte, end: partition.endByte } } : {}),
            startRecordNo: (partition?.recordsBefore ?? 0) + (cp?.recordsRead ?? 0),
            ...(cp ? { startByte: cp.byteOffset } : {}),
          }),
  );
}
