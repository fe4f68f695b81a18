import { readFileSync } from 'node:fs';
import {
  credentials,
  InterceptingCall,
  makeGenericClientConstructor,
  Metadata,
  type ChannelCredentials,
  type Client,
  type Interceptor,
  type ServiceError,
} from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { OpsServiceClient } from './gen/strongroom/engine/v1/ops_service';
import { ComplianceServiceClient } from './gen/strongroom/engine/v1/compliance_service';
import { AuditServiceClient } from './gen/strongroom/engine/v1/audit_service';
import { DeadLetterServiceClient } from './gen/strongroom/engine/v1/dead_letter_service';
import { IngestServiceClient } from './gen/strongroom/engine/v1/ingest_service';
import { JobServiceClient } from './gen/strongroom/engine/v1/job_service';

/** gRPC metadata keys that carry context from callers to the engine. */
export const METADATA_KEYS = {
  /** Correlation id of the request; appears on every log line it causes. */
  correlationId: 'x-correlation-id',
  /** The caller's credentials: `Bearer <token>`; the engine takes the caller's identity from nothing else. */
  authorization: 'authorization',
  /** On a retryable error (UNAVAILABLE): how long to wait before trying again, in ms (trailing metadata). */
  retryAfterMs: 'x-strongroom-retry-after-ms',
} as const;

export interface ClientOptions {
  /** host:port of the engine. */
  address: string;
  /** Default: insecure (loopback). Pass TLS credentials for remote engines. */
  credentials?: ChannelCredentials;
  /** A bearer token (or where to get the current one) sent with every call of this client. */
  token?: string | (() => string);
}

/** Adds `authorization: Bearer <token>` to every call that does not carry credentials already. */
function bearerInterceptor(token: string | (() => string)): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        if (!metadata.get(METADATA_KEYS.authorization).length) {
          metadata.set(METADATA_KEYS.authorization, `Bearer ${typeof token === 'function' ? token() : token}`);
        }
        next(metadata, listener);
      },
    });
}

const CHANNEL_OPTIONS = { 'grpc.keepalive_time_ms': 30_000, 'grpc.max_receive_message_length': 16 * 1024 * 1024 };

type ClientConstructor<C> = new (address: string, credentials: ChannelCredentials, options: object) => C;

/** A factory for one generated client: loopback-insecure unless credentials are given, shared channel options. */
function clientFactory<C>(Ctor: ClientConstructor<C>): (options: ClientOptions) => C {
  return (options) =>
    new Ctor(options.address, options.credentials ?? credentials.createInsecure(), {
      ...CHANNEL_OPTIONS,
      ...(options.token ? { interceptors: [bearerInterceptor(options.token)] } : {}),
    });
}

/** The standard gRPC health service (grpc.health.v1), which the engine answers without credentials. */
const HealthClient = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');

type HealthCheck = Client & {
  check(
    req: { service: string },
    opts: { deadline: Date },
    cb: (e: ServiceError | null, r?: { status: string | number }) => void,
  ): void;
};

/**
 * A client of the engine's health service, made once per process: `serving(ms)` asks whether the engine is
 * SERVING (false on NOT_SERVING, an error or the deadline), on one channel however often it is asked.
 */
export function createHealthClient(options: ClientOptions): {
  serving(deadlineMs: number): Promise<boolean>;
  close(): void;
} {
  const client = new HealthClient(
    options.address,
    options.credentials ?? credentials.createInsecure(),
    CHANNEL_OPTIONS,
  ) as unknown as HealthCheck;
  return {
    serving: (deadlineMs) =>
      new Promise<boolean>((resolve) =>
        client.check({ service: '' }, { deadline: deadlineIn(deadlineMs) }, (e, r) =>
          resolve(!e && (r?.status === 'SERVING' || r?.status === 1)),
        ),
      ),
    close: () => client.close(),
  };
}

export const createJobServiceClient = clientFactory(JobServiceClient);

export const createDeadLetterServiceClient = clientFactory(DeadLetterServiceClient);

/** A deadline `ms` from now, for the `deadline` call option (every call must carry one). */
export function deadlineIn(ms: number): Date {
  return new Date(Date.now() + ms);
}

export const createIngestServiceClient = clientFactory(IngestServiceClient);

export const createAuditServiceClient = clientFactory(AuditServiceClient);

export const createOpsServiceClient = clientFactory(OpsServiceClient);
export const createComplianceServiceClient = clientFactory(ComplianceServiceClient);

type UnaryMethod<Req, Res> = (
  req: Req,
  md: Metadata,
  opts: { deadline: Date },
  cb: (e: ServiceError | null, r: Res) => void,
) => unknown;

/** Calls a unary method of a generated client as a promise, always with a deadline. */
export function callUnary<Req, Res>(
  client: object,
  method: UnaryMethod<Req, Res>,
  req: Req,
  deadlineMs: number,
  metadata: Metadata = new Metadata(),
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method.call(client, req, metadata, { deadline: deadlineIn(deadlineMs) }, (e, r) => (e ? reject(e) : resolve(r)));
  });
}

/** TLS to the engine: the CA that signed its certificate, and (mutual TLS) this client's certificate and key, as PEM. */
export interface EngineTlsFiles {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** Channel credentials for an engine behind TLS (mTLS when a client certificate is given). */
export function engineTlsCredentials(tls: EngineTlsFiles): ChannelCredentials {
  return credentials.createSsl(tls.ca, tls.key ?? null, tls.cert ?? null);
}

/** Where a client dials the engine: plaintext, or TLS (mutual TLS with a client certificate) from PEM file paths. */
export function engineClientOptions(address: string, tls?: { ca: string; cert?: string; key?: string }): ClientOptions {
  if (!tls) return { address };
  return {
    address,
    credentials: engineTlsCredentials({
      ca: readFileSync(tls.ca),
      ...(tls.cert ? { cert: readFileSync(tls.cert) } : {}),
      ...(tls.key ? { key: readFileSync(tls.key) } : {}),
    }),
  };
}
