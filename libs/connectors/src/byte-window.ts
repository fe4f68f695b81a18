import fs from 'node:fs';
import { type Hash } from 'node:crypto';
import { ErrorCode, StrongroomError } from '@strongroom/errors';

/**
 * The bytes of a source file not yet consumed, read chunk by chunk as a reader asks (the CSV and JSON lines
 * readers share it): `buf` starts at file offset `bytePos`, every chunk read passes through `hash` in
 * order, and `range` limits the file to a partition's bytes.
 */
export class ByteWindow {
  buf: Buffer = Buffer.alloc(0);
  bytePos: number;
  eof: boolean;
  private readonly chunks: AsyncIterator<Buffer>;

  private constructor(
    private readonly path: string,
    private readonly stream: fs.ReadStream,
    start: number,
    empty: boolean,
    private readonly hash: Hash | undefined,
  ) {
    this.bytePos = start;
    this.eof = empty;
    this.chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** Opens a regular file (else SOURCE_UNAVAILABLE, saying why). */
  static async open(
    path: string,
    options: {
      chunkBytes?: number | undefined;
      range?: { start: number; end: number } | undefined;
      hash?: Hash | undefined;
    },
  ): Promise<ByteWindow> {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(path);
    } catch (err) {
      throw new StrongroomError(
        ErrorCode.SOURCE_UNAVAILABLE,
        `source file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        { cause: err },
      );
    }
    if (!stat.isFile()) throw new StrongroomError(ErrorCode.SOURCE_UNAVAILABLE, `source ${path} is not a regular file`);
    const range = options.range;
    const stream = fs.createReadStream(path, {
      highWaterMark: options.chunkBytes ?? 1 << 20,
      ...(range ? { start: range.start, end: Math.max(range.end - 1, range.start) } : {}),
    });
    return new ByteWindow(
      path,
      stream,
      range?.start ?? 0,
      range !== undefined && range.end <= range.start,
      options.hash,
    );
  }

  /** Reads the next chunk into `buf`; false once the end was reached before (true on the read that finds it). */
  async fill(): Promise<boolean> {
    if (this.eof) return false;
    const next = await this.chunks.next();
    if (next.done) {
      this.eof = true;
      return true;
    }
    this.hash?.update(next.value);
    this.buf = this.buf.length ? Buffer.concat([this.buf, next.value]) : next.value;
    return true;
  }

  consume(n: number): void {
    this.buf = this.buf.subarray(n);
    this.bytePos += n;
  }

  /** Resumes at a checkpoint: everything before `byte` is read (and hashed) and dropped. */
  async skipTo(byte: number): Promise<void> {
    if (byte <= this.bytePos) return;
    while (this.bytePos + this.buf.length < byte && (await this.fill()));
    if (this.bytePos + this.buf.length < byte) {
      this.close();
      throw new StrongroomError(
        ErrorCode.SOURCE_MALFORMED,
        `source ${this.path} is shorter than its checkpoint (${byte} bytes)`,
      );
    }
    this.consume(byte - this.bytePos);
  }

  close(): void {
    this.stream.destroy();
  }
}
