import { type ClientDuplexStream } from '@grpc/grpc-js';
import { type IngestRequest, type IngestResponse, type IngestServiceClient } from '@strongroom/contract';

/** A request/response view of an ingest stream: send one message, await its one answer. */
export class IngestStream {
  private readonly answers: IngestResponse[] = [];
  private waiter: ((r: IngestResponse | Error) => void) | undefined;
  private failure: Error | undefined;
  readonly call: ClientDuplexStream<IngestRequest, IngestResponse>;

  constructor(client: IngestServiceClient) {
    this.call = client.ingest();
    this.call.on('data', (r: IngestResponse) =>
      this.waiter ? (this.waiter(r), (this.waiter = undefined)) : this.answers.push(r),
    );
    this.call.on('error', (e: Error) => {
      this.failure = e;
      this.waiter?.(e);
    });
  }

  send(msg: IngestRequest): void {
    this.call.write(msg);
  }

  async next(): Promise<IngestResponse> {
    const ready = this.answers.shift();
    if (ready) return ready;
    if (this.failure) throw this.failure;
    const r = await new Promise<IngestResponse | Error>((resolve) => (this.waiter = resolve));
    if (r instanceof Error) throw r;
    return r;
  }

  async ask(msg: IngestRequest): Promise<IngestResponse> {
    this.send(msg);
    return this.next();
  }

  /** The error the engine ended the stream with (waits for it). */
  async ended(): Promise<Error> {
    if (this.failure) return this.failure;
    return new Promise((resolve) => this.call.once('error', resolve));
  }
}
