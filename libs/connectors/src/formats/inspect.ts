import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { achReader } from './ach';
import { readBai2 } from './bai2';
import { DecimalSum, parseDec } from '@strongroom/money';
import { DETECT_BYTES, detectFormat, likelyFormat, type DetectedFormat } from './detect';
import { iso20022Reader, readIso20022 } from './iso20022';
import { mt940Reader, readMt940 } from './mt940';
import {
  BANK_FORMATS,
  FormatError,
  type BankEntry,
  type BankFormat,
  type ControlCheck,
  type FormatReader,
  type FormatSummary,
} from './types';

export interface ReaderOptions {
  /** ACH: accept return reason codes outside NACHA's list (R01–R53, R61–R77, R80–R85). */
  customReturnCodes?: boolean;
  /**
   * strictness: lenient — format-rule slips that cannot change an amount are read with warnings (MT940:
   * Ctrl-Z between concatenated statements, :61: without a transaction type; camt.053: no Sts, a CdtDbtInd
   * whose sign is otherwise given; ACH: the file header's routing check digit); control totals still decide.
   */
  lenient?: boolean;
}

/** The reader of a bank format. */
export function readerFor(format: BankFormat, options: ReaderOptions = {}): FormatReader {
  switch (format) {
    case 'ach':
      return achReader(options);
    case 'camt052':
    case 'camt053':
    case 'camt054':
    case 'pain001':
      return options.lenient ? iso20022Reader({ lenient: true }) : readIso20022;
    case 'mt940':
    case 'mt942':
      return options.lenient ? mt940Reader({ lenient: true }) : readMt940;
    case 'bai2':
      return readBai2;
  }
}

/** Whether a file read as `found` satisfies a job that declared `declared` (MT942 reports ride with MT940). */
export function formatMatches(declared: BankFormat, found: BankFormat): boolean {
  return (
    declared === found || (declared === 'mt940' && found === 'mt942') || (declared === 'mt942' && found === 'mt940')
  );
}

export interface CurrencyTotals {
  entries: number;
  credits: string;
  debits: string;
  net: string;
}

/** What `strongroom inspect` reports: format, counts, control totals and the reconciliation verdict. */
export interface InspectReport {
  file: string;
  bytes: number;
  sha256: string;
  format: DetectedFormat;
  version: string | null;
  encoding: string | null;
  /** True when every control total the file declares matches its entries and the file is readable. */
  reconciled: boolean;
  /** Why the file is not accepted (null when it is): the first failed checks, or where it breaks the format. */
  reason: string | null;
  /** Set when the file breaks the format's rules (it is then rejected whole). */
  rejected: { location: string; message: string } | null;
  counts: Record<string, number>;
  controlTotals: Record<string, string>;
  checks: ControlCheck[];
  warnings: string[];
  /** Entries read (loaded or dead-lettered by a run) and entries a run filters (e.g. not booked). */
  entries: { read: number; filtered: number; byCurrency: Record<string, CurrencyTotals> };
}

/** A failed check as one line: "batch 0000001 entry hash at line 4 (batch control): declared 0023138010, computed 0023138011". */
export function describeCheck(c: ControlCheck): string {
  return `${c.name} at ${c.location}: declared ${c.expected}, computed ${c.found}`;
}

/** The reason a summary fails, or null when every check passed. */
export function failedReason(checks: readonly ControlCheck[]): string | null {
  const failed = checks.filter((c) => !c.ok);
  if (!failed.length) return null;
  const shown = failed.slice(0, 3).map(describeCheck).join('; ');
  return failed.length > 3 ? `${shown} (+${failed.length - 3} more failed checks)` : shown;
}

/**
 * Reads a whole file with its format's reader and reconciles it, without loading anything: the
 * entries are counted and summed per currency, then dropped (memory stays flat). `format` skips
 * detection (a job declares its format); a file of another format is then rejected.
 */
export interface InspectOptions extends ReaderOptions {
  /** Read the file as this format (a job declares it) instead of detecting it. */
  format?: BankFormat;
  onProgress?: (bytesRead: number, bytes: number) => void;
  /** Wraps each read of a chunk of the file (e.g. through the file-source circuit breaker); parsing is not inside it. */
  readThrough?: ReadThrough;
}

/** Runs one read of the file, e.g. through a circuit breaker. */
export type ReadThrough = <T>(read: () => Promise<T>) => Promise<T>;

/** The file's chunks in order, each read through `readThrough` when given; `onChunk` sees every chunk. */
export async function* readChunks(
  path: string,
  readThrough: ReadThrough | undefined,
  onChunk: (chunk: Buffer) => void,
): AsyncGenerator<Buffer> {
  const stream = fs.createReadStream(path, { highWaterMark: 1 << 20 });
  const it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await (readThrough ? readThrough(() => it.next()) : it.next());
      if (next.done) return;
      onChunk(next.value);
      yield next.value;
    }
  } finally {
    stream.destroy();
  }
}

export async function inspectFile(path: string, options: InspectOptions = {}): Promise<InspectReport> {
  let stat: fs.Stats;
  let head: Buffer;
  try {
    stat = await fs.promises.stat(path);
    head = await readHead(path);
  } catch (err) {
    throw new StrongroomError(
      ErrorCode.SOURCE_UNAVAILABLE,
      `source file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause: err },
    );
  }
  const detected = detectFormat(head);
  let sha = createHash('sha256');
  const report: InspectReport = {
    file: path,
    bytes: stat.size,
    sha256: '',
    format: detected,
    version: null,
    encoding: null,
    reconciled: false,
    reason: null,
    rejected: null,
    counts: {},
    controlTotals: {},
    checks: [],
    warnings: [],
    entries: { read: 0, filtered: 0, byCurrency: {} },
  };
  // a file that is not recognised but looks like a bank format with a broken header is read as that
  // format: its reader names the real error (a BAI2 file with a damaged 01 record is not a CSV)
  const format = options.format ?? (isBankFormat(detected) ? detected : (likelyFormat(head) ?? undefined));
  if (format) report.format = format; // --format (a job's kind) is the format reported
  if (!format) {
    await hashFile(path, sha);
    report.sha256 = sha.digest('hex');
    report.reason =
      detected === 'csv' || detected === 'jsonl'
        ? `${detected} carries no control totals to reconcile against`
        : `not a recognised bank format (NACHA ACH, ISO 20022 camt.052/053/054 or pain.001, SWIFT MT940/MT942, BAI2)`;
    return report;
  }
  const totals = new Map<string, { entries: number; credits: DecimalSum; debits: DecimalSum }>();
  let read = 0;
  const hashed = readChunks(path, options.readThrough, (chunk) => {
    sha.update(chunk);
    read += chunk.length;
    options.onProgress?.(read, stat.size);
  });
  try {
    const reader = readerFor(format, options)(hashed);
    for (;;) {
      const next = await reader.next();
      if (next.done) {
        applySummary(report, next.value);
        if (!formatMatches(format, next.value.format)) {
          report.rejected = { location: 'document', message: `the file is ${next.value.format}, not ${format}` };
        }
        break;
      }
      countEntry(report, totals, next.value);
    }
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    report.rejected = { location: err.location, message: err.message.slice(err.location.length + 2) };
  } finally {
    await hashed.return(undefined);
  }
  if (report.rejected) {
    await hashFile(path, (sha = createHash('sha256')));
  }
  report.sha256 = sha.digest('hex');
  for (const [ccy, t] of totals) {
    const net = new DecimalSum()
      .add(t.credits.get())
      .add({ units: -t.debits.get().units, scale: t.debits.get().scale });
    report.entries.byCurrency[ccy] = {
      entries: t.entries,
      credits: t.credits.toString(),
      debits: t.debits.toString(),
      net: net.toString(),
    };
  }
  if (report.rejected) {
    report.reconciled = false;
    report.reason = `rejected at ${report.rejected.location}: ${report.rejected.message}`;
  } else {
    report.reason = failedReason(report.checks);
    report.reconciled = report.reason === null;
  }
  return report;
}

function countEntry(
  report: InspectReport,
  totals: Map<string, { entries: number; credits: DecimalSum; debits: DecimalSum }>,
  e: BankEntry,
) {
  report.entries.read++;
  if (e.filter) {
    report.entries.filtered++;
    return;
  }
  let t = totals.get(e.currency);
  if (!t) totals.set(e.currency, (t = { entries: 0, credits: new DecimalSum(), debits: new DecimalSum() }));
  t.entries++;
  const d = parseDec(e.amount);
  if (!d) return; // the run dead-letters it as INVALID_AMOUNT
  if (d.units < 0n) t.debits.add({ units: -d.units, scale: d.scale });
  else t.credits.add(d);
}

function applySummary(report: InspectReport, s: FormatSummary) {
  report.format = s.format;
  report.version = s.version;
  report.encoding = s.encoding;
  report.counts = s.counts;
  report.controlTotals = s.controlTotals;
  report.checks = s.checks;
  report.warnings = s.warnings;
}

export function isBankFormat(f: string): f is BankFormat {
  return (BANK_FORMATS as readonly string[]).includes(f);
}

async function readHead(path: string): Promise<Buffer> {
  const fh = await fs.promises.open(path, 'r');
  try {
    const buf = Buffer.alloc(DETECT_BYTES);
    const { bytesRead } = await fh.read(buf, 0, DETECT_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function hashFile(path: string, sha: ReturnType<typeof createHash>) {
  for await (const chunk of fs.createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>)
    sha.update(chunk);
}
