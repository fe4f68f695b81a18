import { csvLine } from './csv-line';
import { sensitiveColumns } from './sensitive-columns';
import { type Hash } from 'node:crypto';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { DEFAULT_MAX_RECORD_BYTES, parseRecords, SpannedRecord } from './csv-parser';
import { ByteWindow } from './byte-window';

/** One record as read from a source, before mapping and validation. */
export interface SourceRecord {
  /** 1-based position among the data records of the file (the header is not a record). */
  recordNo: number;
  /** Field values in column order. */
  fields: string[];
  /** The record's exact source text (for the dead-letter queue). */
  raw: string;
  /** Byte offset in the file just after this record (a resume position). */
  byteEnd: number;
  /** Set when the record could not be parsed cleanly. */
  error?: { code: string; message: string };
  /** Set when the source says the record is not to be loaded (counted as filtered with this reason, e.g. NOT_BOOKED). */
  filter?: string;
}

export interface BatchLimits {
  records: number;
  /** Cap on the raw text of one batch (bounded memory); default unlimited. */
  bytes?: number;
}

export interface CsvSourceOptions {
  path: string;
  delimiter?: string;
  /** Read chunk size in bytes (default 1 MiB). */
  chunkBytes?: number;
  /** Longest record accepted, bytes (default 1 MiB); longer ones are dead-lettered as RECORD_TOO_LONG. */
  maxRecordBytes?: number;
  /** Resume position: a byteEnd of an earlier record (default: just after the header). */
  startByte?: number;
  /** recordNo of the record ending at startByte (default 0). */
  startRecordNo?: number;
  /**
   * Read only this byte range of the file (a partition: `start` and `end` are record boundaries, `end`
   * exclusive). The header is still read from the top of the file; `hash` then receives exactly the
   * range's bytes, and `startByte` (a checkpoint inside the range) defaults to `start`.
   */
  range?: { start: number; end: number };
  /** Receives every byte of the file in order (for a digest of what was actually read). */
  hash?: Hash;
}

export interface CsvSource {
  /** Column names of the header row, without the dropped ones. */
  header: string[];
  /**
   * Columns dropped as the file was read because they hold sensitive authentication data (CVV, PIN, track
   * data; expiry beside a card column): their names only. Records carry neither their fields nor their text.
   */
  dropped: string[];
  /**
   * Records in file order, in batches of up to `limits().records` records or `limits().bytes` bytes of
   * raw text (asked again before each batch, so the consumer can adapt the batch size); pulls the file
   * only as the consumer asks (backpressure).
   */
  records(limits: BatchLimits | (() => BatchLimits)): AsyncGenerator<SourceRecord[]>;
  close(): void;
}

/**
 * Opens a CSV file as a streaming source. Records are cut on bytes and decoded one by one (so a
 * multi-byte character split across chunks stays intact and byte offsets are exact); a UTF-8 BOM is
 * skipped; blank lines are not records. Memory is bounded by the chunk size, the longest record
 * (`maxRecordBytes`) and one batch of records.
 *
 * `startByte`/`startRecordNo` resume after a checkpoint: the header is still read from the top, then
 * reading continues at that byte offset (which must be a record boundary given by an earlier
 * `byteEnd`). When `hash` is given, every byte of the file passes through it in order (including the
 * skipped prefix), so the caller can compare the digest of what it read with the submitted one.
 */
export async function openCsvSource(options: CsvSourceOptions): Promise<CsvSource> {
  const range = options.range;
  if (range && range.start > 0) {
    // a later partition: the header comes from the top of the file (read only as far as it goes)
    const { startByte: _resume, startRecordNo: _no, hash: _hash, ...header } = options;
    const top = await openCsvFile({ ...header, range: { start: 0, end: range.start } });
    top.close();
    return openCsvFile(options, top.rawHeader);
  }
  return openCsvFile(options);
}

async function openCsvFile(
  options: CsvSourceOptions,
  knownHeader?: string[],
): Promise<CsvSource & { rawHeader: string[] }> {
  const w = await ByteWindow.open(options.path, options);
  const parse = {
    delimiter: (options.delimiter ?? ',').charCodeAt(0),
    maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
  };

  let header: string[] | undefined = knownHeader;
  if (header && w.eof) w.close();
  try {
    if (!header) await w.fill();
    if (!header && w.buf.length >= 3 && w.buf[0] === 0xef && w.buf[1] === 0xbb && w.buf[2] === 0xbf) w.consume(3);
    while (!header) {
      const { records, consumed } = parseRecords(w.buf, parse, w.eof);
      const rec = records.find((r) => r.raw.trim() !== '');
      if (rec) {
        w.consume(records.slice(0, records.indexOf(rec) + 1).reduce((a, r) => a + r.length, 0));
        if (rec.error)
          throw new StrongroomError(ErrorCode.SOURCE_MALFORMED, `CSV header is malformed: ${rec.error.message}`);
        header = rec.fields.map((f) => f.trim());
        break;
      }
      w.consume(consumed);
      if (!(await w.fill()))
        throw new StrongroomError(ErrorCode.SOURCE_MALFORMED, `source ${options.path} is empty: no CSV header`);
    }
  } catch (err) {
    w.close();
    throw err;
  }

  // sensitive authentication data never goes further than this reader (PCI DSS 3.3.1)
  const drop = new Set(sensitiveColumns(header));
  const dropped = header.filter((_, i) => drop.has(i));
  const delimiter = options.delimiter ?? ',';
  const keep = (fields: string[]) => fields.filter((_, i) => !drop.has(i));
  const strip = (r: { fields: string[]; raw: string; error?: unknown }): { fields: string[]; raw: string } => {
    if (!drop.size) return r;
    // a record the parser could not split cannot be told apart from its sensitive columns: its text goes nowhere
    if (r.error)
      return {
        fields: [],
        raw: `[record text not kept: it could not be parsed and the file has ${dropped.join(', ')}]`,
      };
    const fields = keep(r.fields);
    // a record whose fields do not line up with the header cannot say which of them are the sensitive ones
    if (r.fields.length !== header.length)
      return {
        fields,
        raw: `[record text not kept: it has ${r.fields.length} fields for ${header.length} columns, and the file has ${dropped.join(', ')}]`,
      };
    return { fields, raw: csvLine(fields, delimiter) };
  };
  let recordNo = options.startRecordNo ?? 0;
  // resume: discard up to the checkpoint (still hashed)
  if (options.startByte !== undefined) await w.skipTo(options.startByte);

  async function* records(limits: BatchLimits | (() => BatchLimits)): AsyncGenerator<SourceRecord[]> {
    const next = typeof limits === 'function' ? limits : () => limits;
    let out: SourceRecord[] = [];
    let outBytes = 0;
    let { records: max, bytes: maxBytes = Infinity } = next();
    let skipping = false;
    for (;;) {
      if (skipping) {
        const lf = w.buf.indexOf(0x0a);
        if (lf >= 0) {
          const last = out[out.length - 1];
          w.consume(lf + 1);
          if (last) last.byteEnd = w.bytePos;
          skipping = false;
        } else {
          w.consume(w.buf.length);
          if (!(await w.fill())) break;
          continue;
        }
      }
      const { records: parsed, consumed } = parseRecords(w.buf, parse, w.eof);
      let offset = w.bytePos;
      for (const r of parsed) {
        offset += r.length;
        if (r instanceof SpannedRecord) {
          if (r.blank()) continue;
        } else if (r.raw === '' || (r.fields.length === 1 && r.raw.trim() === '' && !r.error)) continue;
        recordNo++;
        if (r instanceof SpannedRecord && !drop.size) {
          // handed on as it is: its fields are decoded only if the consumer asks (SpannedRecord)
          r.recordNo = recordNo;
          r.byteEnd = offset;
          out.push(r);
        } else {
          const { fields, raw } = strip(r);
          const rec: SourceRecord = { recordNo, fields, raw, byteEnd: offset };
          if (r.error) rec.error = r.error;
          out.push(rec);
        }
        if (r.truncated) skipping = true;
        outBytes += r.length;
        if (out.length >= max || outBytes >= maxBytes) {
          if (skipping) break; // finish skipping before handing the record out (its byteEnd moves)
          yield out;
          out = [];
          outBytes = 0;
          ({ records: max, bytes: maxBytes = Infinity } = next());
        }
      }
      w.consume(consumed);
      if (skipping) continue;
      if (!(await w.fill())) break;
    }
    if (w.buf.length > 0) throw new Error('csv: unconsumed input at end of file'); // parser invariant
    if (out.length) yield out;
  }

  const rawHeader = header;
  return { header: keep(header), dropped, rawHeader, records, close: () => w.close() };
}
