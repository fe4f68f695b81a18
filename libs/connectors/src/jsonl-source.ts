// JSON lines (one JSON object per line, https://jsonlines.org) as a streaming source with the CSV reader's
// guarantees: exact byte offsets (checkpoints, partitions), one bad line costs one record, bounded memory,
// every byte through the caller's hash. A JSON string cannot hold a raw line break, so every LF ends a
// record: no line can swallow the next.
import { type Hash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { ByteWindow } from './byte-window';
import { DEFAULT_MAX_RECORD_BYTES } from './csv-parser';
import { type BatchLimits, type CsvSource, type SourceRecord } from './csv-source';
import { jsonFields, parseJsonPath } from './json-record';

export interface JsonlSourceOptions {
  path: string;
  /** The JSON paths the job maps, in the order of the fields each record gets (they are its "header"). */
  paths: readonly string[];
  chunkBytes?: number;
  /** Longest line accepted, bytes (default 1 MiB); longer ones are dead-lettered as RECORD_TOO_LONG. */
  maxRecordBytes?: number;
  /** Resume position: a byteEnd of an earlier record. */
  startByte?: number;
  /** recordNo of the record ending at startByte (default 0). */
  startRecordNo?: number;
  /** Read only this byte range (a partition; both ends are line boundaries, `end` exclusive). */
  range?: { start: number; end: number };
  /** Receives every byte read, in order. */
  hash?: Hash;
}

/**
 * A line that cannot be parsed (not UTF-8, over-long) cannot be told apart from its sensitive keys: its text
 * is not kept (PCI DSS 3.3.1), as for a line that is not JSON.
 */
const TEXT_NOT_KEPT =
  '[record text not kept: it could not be read as JSON, and JSON lines may carry card verification data]';

/** Opens a JSON lines file; records carry the mapped paths' values as fields (see jsonFields). */
export async function openJsonlSource(options: JsonlSourceOptions): Promise<CsvSource> {
  const paths = options.paths.map((p) => parseJsonPath(p));
  const max = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const w = await ByteWindow.open(options.path, options);
  if (w.eof) w.close();
  let first = w.bytePos === 0;
  if (options.startByte !== undefined && options.startByte > w.bytePos) {
    await w.skipTo(options.startByte);
    first = false;
  }

  const names = [...options.paths];
  const recordOf = (line: Buffer, recordNo: number, byteEnd: number): SourceRecord => {
    if (!isUtf8(line))
      return {
        recordNo,
        fields: [],
        raw: TEXT_NOT_KEPT,
        byteEnd,
        error: { code: 'INVALID_ENCODING', message: 'record is not valid UTF-8' },
      };
    const text = line.toString('utf8');
    const r = jsonFields(text, paths, names);
    return { recordNo, fields: r.fields, raw: r.raw, byteEnd, ...(r.error ? { error: r.error } : {}) };
  };

  async function* records(limits: BatchLimits | (() => BatchLimits)): AsyncGenerator<SourceRecord[]> {
    const next = typeof limits === 'function' ? limits : () => limits;
    let recordNo = options.startRecordNo ?? 0;
    let out: SourceRecord[] = [];
    let outBytes = 0;
    let { records: most, bytes: mostBytes = Infinity } = next();
    const emit = (rec: SourceRecord, bytes: number) => {
      out.push(rec);
      outBytes += bytes;
    };
    const full = () => out.length >= most || outBytes >= mostBytes;
    for (;;) {
      if (first) {
        if (w.buf.length < 3 && !w.eof) {
          await w.fill();
          continue;
        }
        if (w.buf.length >= 3 && w.buf[0] === 0xef && w.buf[1] === 0xbb && w.buf[2] === 0xbf) w.consume(3);
        else if (
          (w.buf.length >= 2 &&
            ((w.buf[0] === 0xff && w.buf[1] === 0xfe) || (w.buf[0] === 0xfe && w.buf[1] === 0xff))) ||
          // without a byte-order mark: ASCII text every other byte
          (w.buf.length >= 4 &&
            ((w.buf[1] === 0 && w.buf[3] === 0 && w.buf[0] !== 0) ||
              (w.buf[0] === 0 && w.buf[2] === 0 && w.buf[1] !== 0)))
        )
          throw new StrongroomError(
            ErrorCode.SOURCE_MALFORMED,
            `source ${options.path} is UTF-16; JSON lines must be UTF-8: convert it (iconv -f UTF-16 -t UTF-8)`,
          );
        first = false;
      }
      const lf = w.buf.indexOf(0x0a);
      if ((lf < 0 ? w.buf.length : lf) > max) {
        // an over-long line: its start is kept for the dead letter, the rest skipped up to its end
        let skipped = 0;
        for (;;) {
          const end = w.buf.indexOf(0x0a);
          if (end >= 0) {
            skipped += end + 1;
            w.consume(end + 1);
            break;
          }
          skipped += w.buf.length;
          w.consume(w.buf.length);
          if (!(await w.fill())) break;
        }
        recordNo++;
        emit(
          {
            recordNo,
            fields: [],
            raw: TEXT_NOT_KEPT,
            byteEnd: w.bytePos,
            error: { code: 'RECORD_TOO_LONG', message: `record longer than ${max} bytes` },
          },
          skipped,
        );
      } else if (lf >= 0 || (w.eof && w.buf.length > 0)) {
        const end = lf >= 0 ? lf : w.buf.length;
        let line = w.buf.subarray(0, end);
        if (line.length && line[line.length - 1] === 0x0d) line = line.subarray(0, line.length - 1);
        const taken = lf >= 0 ? lf + 1 : w.buf.length;
        const blank = line.every((b) => b === 0x20 || b === 0x09);
        w.consume(taken);
        if (!blank) {
          recordNo++;
          emit(recordOf(line, recordNo, w.bytePos), taken);
        }
      } else if (!(await w.fill())) break;
      if (full()) {
        yield out;
        out = [];
        outBytes = 0;
        ({ records: most, bytes: mostBytes = Infinity } = next());
      }
    }
    if (out.length) yield out;
  }

  return { header: names, dropped: [], records, close: () => w.close() };
}
