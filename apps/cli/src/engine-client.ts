import { readDevSecret, signDevToken } from '@strongroom/auth';
import { Metadata, status, type Client as GrpcClient, type ServiceError } from '@grpc/grpc-js';
import {
  callUnary,
  createJobServiceClient,
  engineClientOptions,
  METADATA_KEYS,
  type ClientOptions,
  type JobServiceClient,
  type Run,
  type WatchRunResponse,
} from '@strongroom/contract';
import { type CliConfig } from './config';
import { newCorrelationId } from '@strongroom/logging';

/** The unary methods of JobService (watchRun streams). */
type JobServiceUnary = Exclude<keyof JobServiceClient, 'watchRun' | keyof GrpcClient>;
/**
 * A method's request and response types, from its last overload `(request, metadata, options, callback)`.
 * Typed, because a field left out is not a default to the wire encoder: it writes the string "undefined".
 */
type RequestOf<M extends JobServiceUnary> = JobServiceClient[M] extends (request: infer R, ...rest: never[]) => unknown
  ? R
  : never;
type ResponseOf<M extends JobServiceUnary> = JobServiceClient[M] extends (...args: infer A) => unknown
  ? A extends [unknown, unknown, unknown, (error: never, response: infer S) => void]
    ? S
    : never
  : never;

/** Promise wrappers over the JobService client, each call with a deadline and a correlation id. */
export class EngineClient {
  readonly raw: JobServiceClient;

  readonly address: string;

  constructor(
    target: string | ClientOptions,
    private readonly deadlineMs: number,
  ) {
    const options = typeof target === 'string' ? { address: target } : target;
    this.address = options.address;
    this.raw = createJobServiceClient(options);
  }

  private md(): Metadata {
    return callMetadata();
  }

  call<M extends JobServiceUnary>(method: M, req: RequestOf<M>): Promise<ResponseOf<M>> {
    return callUnary(
      this.raw,
      this.raw[method] as unknown as Parameters<typeof callUnary<RequestOf<M>, ResponseOf<M>>>[1],
      req,
      this.deadlineMs,
      this.md(),
    );
  }

  /** Streams a run's progress until it ends; resolves with the final snapshot. */
  watch(runId: string, onUpdate: (run: Run) => void): Promise<Run> {
    return new Promise((resolve, reject) => {
      let last: Run | undefined;
      const stream = this.raw.watchRun({ runId }, this.md());
      stream.on('data', (m: WatchRunResponse) => {
        if (!m.run) return;
        last = m.run;
        onUpdate(m.run);
      });
      stream.on('end', () => (last ? resolve(last) : reject(new Error('watch ended without a run snapshot'))));
      stream.on('error', reject);
    });
  }

  close(): void {
    this.raw.close();
  }
}

/** Errors worth reconnecting for (engine restarting or briefly unreachable). */
export function isTransient(err: unknown): boolean {
  const code = (err as ServiceError)?.code;
  return code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED || code === status.CANCELLED;
}

/** Where the CLI dials the engine: STRONGROOM_ENGINE, over TLS (mutual TLS with a client certificate) when configured. */
export function engineTarget(config: Pick<CliConfig, 'engineAddress' | 'engineTls'>): ClientOptions {
  return engineClientOptions(config.engineAddress, config.engineTls);
}

/**
 * The CLI's one call scope: the metadata every call to the engine carries (a fresh correlation id, the
 * caller). Every command builds its calls from here or from `unaryCaller`.
 */
export function callMetadata(): Metadata {
  const md = new Metadata();
  md.set(METADATA_KEYS.correlationId, newCorrelationId());
  const token = credentials.token();
  if (token) md.set(METADATA_KEYS.authorization, `Bearer ${token}`);
  return md;
}

/** Where the CLI's bearer token comes from (set once by main from the config). */
const credentials: { token: () => string | undefined } = { token: () => undefined };

/**
 * The CLI's identity is a verified token, never `$USER`: STRONGROOM_TOKEN, or outside production a
 * short-lived development token minted from the development secret of the same STRONGROOM_HOME (the one
 * `serve`/`start` made), so the zero-setup flow works. Without either, calls go out without credentials and
 * the engine answers UNAUTHENTICATED.
 */
export function configureCredentials(config: Pick<CliConfig, 'token' | 'production' | 'home'>): void {
  let minted: { token: string; until: number } | undefined;
  credentials.token = () => {
    if (config.token) return config.token;
    if (config.production) return undefined;
    if (minted && minted.until > Date.now() + 60_000) return minted.token;
    const secret = readDevSecret(config.home);
    if (!secret) return undefined;
    minted = {
      token: signDevToken({ sub: 'dev-cli', roles: ['admin'], ttlSeconds: 900 }, secret),
      until: Date.now() + 900_000,
    };
    return minted.token;
  };
}

/** Unary calls on any generated service client, each with a deadline and the call metadata. */
export function unaryCaller<C extends object>(client: C, deadlineMs: number) {
  return <Res>(method: keyof C & string, req: object, ms = deadlineMs): Promise<Res> =>
    callUnary<object, Res>(client, client[method] as unknown as UnaryMethod<object, Res>, req, ms, callMetadata());
}

type UnaryMethod<Req, Res> = Parameters<typeof callUnary<Req, Res>>[1];
