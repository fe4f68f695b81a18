import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { parseRecords } from './csv-parser';

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
}

export interface CsvSource {
  /** Column names of the header row. */
  header: string[];
  /**
   * Records in file order, in batches of up to `limits().records` records or `limits().bytes` bytes of
   * raw text (asked again before each batch, so the consumer can adapt the batch size); pulls the file
   * only as the consumer asks (backpressure).
   */
  records(limits: BatchLimits | (() => BatchLimits)): AsyncGenerator<SourceRecord[]>;
  close(): void;
}

/**
 * Opens a CSV file as a streaming source: UTF-8 decoded with a streaming decoder (a multi-byte
 * character split across chunks stays intact), BOM stripped, blank lines skipped (they are not
 * records). Memory is bounded by the chunk size plus one batch of records.
 */
export async function openCsvSource(options: CsvSourceOptions): Promise<CsvSource> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(options.path);
  } catch (err) {
    throw new StrongroomError(ErrorCode.SOURCE_UNAVAILABLE, `source file ${options.path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  if (!stat.isFile()) throw new StrongroomError(ErrorCode.SOURCE_UNAVAILABLE, `source ${options.path} is not a regular file`);
  const delimiter = options.delimiter ?? ',';
  const stream = fs.createReadStream(options.path, { highWaterMark: options.chunkBytes ?? 1 << 20 });
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const decoder = new StringDecoder('utf8');
  let text = '';
  let eof = false;
  let bytePos = 0; // bytes of `text` already consumed from the file before text[0]
  let first = true;

  async function fill(): Promise<boolean> {
    if (eof) return false;
    const next = await chunks.next();
    if (next.done) {
      text += decoder.end();
      eof = true;
      return true;
    }
    let s = decoder.write(next.value);
    if (first) {
      first = false;
      if (s.charCodeAt(0) === 0xfeff) {
        s = s.slice(1);
        bytePos += 3;
      }
    }
    text += s;
    return true;
  }

  // header
  let header: string[] | undefined;
  while (!header) {
    const { records, consumed } = parseRecords(text, delimiter, eof);
    const rec = records.find((r) => r.raw.trim() !== '');
    if (rec) {
      const used = records.indexOf(rec);
      const len = records.slice(0, used + 1).reduce((a, r) => a + r.length, 0);
      bytePos += Buffer.byteLength(text.slice(0, len));
      text = text.slice(len);
      if (rec.error) throw new StrongroomError(ErrorCode.SOURCE_MALFORMED, `CSV header is malformed: ${rec.error.message}`);
      header = rec.fields.map((f) => f.trim());
      break;
    }
    bytePos += Buffer.byteLength(text.slice(0, consumed));
    text = text.slice(consumed);
    if (!(await fill())) {
      stream.destroy();
      throw new StrongroomError(ErrorCode.SOURCE_MALFORMED, `source ${options.path} is empty: no CSV header`);
    }
  }

  let recordNo = 0;
  async function* records(limits: BatchLimits | (() => BatchLimits)): AsyncGenerator<SourceRecord[]> {
    const next = typeof limits === 'function' ? limits : () => limits;
    let out: SourceRecord[] = [];
    let outBytes = 0;
    let { records: max, bytes: maxBytes = Infinity } = next();
    for (;;) {
      const { records: parsed, consumed } = parseRecords(text, delimiter, eof);
      for (const r of parsed) {
        bytePos += Buffer.byteLength(r.raw) + (r.length - r.raw.length);
        if (r.raw === '' || (r.fields.length === 1 && r.raw.trim() === '')) continue;
        recordNo++;
        out.push({ recordNo, fields: r.fields, raw: r.raw, byteEnd: bytePos, ...(r.error ? { error: r.error } : {}) });
        outBytes += r.raw.length;
        if (out.length >= max || outBytes >= maxBytes) {
          yield out;
          out = [];
          outBytes = 0;
          ({ records: max, bytes: maxBytes = Infinity } = next());
        }
      }
      text = text.slice(consumed);
      if (!(await fill())) break;
    }
    if (text.length > 0) throw new Error('csv: unconsumed input at end of file'); // parser invariant
    if (out.length) yield out;
  }

  return { header, records, close: () => stream.destroy() };
}
