import fs from 'node:fs';
import { type Hash } from 'node:crypto';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { redactPans } from '@strongroom/logging';
import { type BatchLimits, type CsvSource, type SourceRecord } from './csv-source';
import { csvLine } from './csv-line';
import {
  failedReason,
  formatMatches,
  readChunks,
  readerFor,
  type ReadThrough,
  type ReaderOptions,
} from './formats/inspect';
import { FormatError, type BankEntry, type BankFormat } from './formats/types';

/**
 * The canonical transaction fields, in the order a bank source yields them (its "header") and a job's
 * mapping names them: every source, CSV or bank format, ends up as records of these fields.
 */
export const CANONICAL_FIELDS = [
  'txn_id',
  'account',
  'counterparty_account',
  'counterparty_name',
  'amount',
  'currency',
  'booked_at',
  'value_date',
  'reference',
  'card_pan',
] as const;

export interface BankSourceOptions extends ReaderOptions {
  path: string;
  format: BankFormat;
  /** Resume: entries up to this record number were committed; they are read again (the format's context needs them) and skipped. */
  startRecordNo?: number;
  /** Receives every byte of the file in order. */
  hash?: Hash;
  /** Wraps each read of a chunk of the file (e.g. through the file-source circuit breaker). */
  readThrough?: ReadThrough;
}

/**
 * A bank file as a source of canonical records for the run engine. Each entry becomes a record whose
 * fields are in {@link CANONICAL_FIELDS} order and whose `raw` is that record as one CSV line (so
 * a dead letter can be corrected and replayed like any CSV record); `byteEnd` is the bytes read so
 * far. The caller reconciles the file before loading it (`inspectFile`); reading it again here
 * re-checks the controls at the end, and a file that fails them then fails the run (nothing is
 * published).
 */
export async function openBankSource(options: BankSourceOptions): Promise<CsvSource> {
  try {
    const stat = await fs.promises.stat(options.path);
    if (!stat.isFile())
      throw new StrongroomError(ErrorCode.SOURCE_UNAVAILABLE, `source ${options.path} is not a regular file`);
  } catch (err) {
    if (err instanceof StrongroomError) throw err;
    throw new StrongroomError(
      ErrorCode.SOURCE_UNAVAILABLE,
      `source file ${options.path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause: err },
    );
  }
  let bytes = 0;
  const input = readChunks(options.path, options.readThrough, (chunk) => {
    options.hash?.update(chunk);
    bytes += chunk.length;
  });
  const reader = readerFor(options.format, options)(input);
  const skip = options.startRecordNo ?? 0;

  async function* records(limits: BatchLimits | (() => BatchLimits)): AsyncGenerator<SourceRecord[]> {
    const next = typeof limits === 'function' ? limits : () => limits;
    let { records: max, bytes: maxBytes = Infinity } = next();
    let out: SourceRecord[] = [];
    let outBytes = 0;
    let recordNo = 0;
    for (;;) {
      let step: IteratorResult<BankEntry, Awaited<ReturnType<typeof reader.next>>['value']>;
      try {
        step = await reader.next();
      } catch (err) {
        if (err instanceof FormatError)
          throw new StrongroomError(
            ErrorCode.SOURCE_MALFORMED,
            `${options.path} is not a valid ${options.format} file: ${redactPans(err.message)}`,
          );
        throw err;
      }
      if (step.done) {
        const summary = step.value as Exclude<typeof step.value, BankEntry>;
        if (!formatMatches(options.format, summary.format))
          throw new StrongroomError(
            ErrorCode.SOURCE_MALFORMED,
            `${options.path} is ${summary.format}, not ${options.format}`,
          );
        const reason = failedReason(summary.checks);
        if (reason)
          throw new StrongroomError(
            ErrorCode.SOURCE_NOT_RECONCILED,
            `${options.path} does not reconcile with its own control totals: ${redactPans(reason)}`,
          );
        break;
      }
      recordNo++;
      if (recordNo <= skip) continue;
      const e = step.value as BankEntry;
      const fields = [
        e.txnId,
        e.account,
        e.counterpartyAccount ?? '',
        e.counterpartyName ?? '',
        e.amount,
        e.currency,
        e.bookedAt,
        e.valueDate ?? '',
        e.reference ?? '',
        '',
      ];
      const raw = csvLine(fields);
      out.push({ recordNo, fields, raw, byteEnd: bytes, ...(e.filter ? { filter: e.filter } : {}) });
      outBytes += raw.length;
      if (out.length >= max || outBytes >= maxBytes) {
        yield out;
        out = [];
        outBytes = 0;
        ({ records: max, bytes: maxBytes = Infinity } = next());
      }
    }
    if (out.length) yield out;
  }

  return { header: [...CANONICAL_FIELDS], dropped: [], records, close: () => void input.return(undefined) };
}
