import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { OpsServiceClient } from './gen/strongroom/engine/v1/ops_service';
import { AuditServiceClient } from './gen/strongroom/engine/v1/audit_service';
import { DeadLetterServiceClient } from './gen/strongroom/engine/v1/dead_letter_service';
import { IngestServiceClient } from './gen/strongroom/engine/v1/ingest_service';
import { JobServiceClient } from './gen/strongroom/engine/v1/job_service';

/** gRPC metadata keys that carry context from callers to the engine. */
export const METADATA_KEYS = {
  /** Correlation id of the request; appears on every log line it causes. */
  correlationId: 'x-correlation-id',
  /** Authenticated subject and roles, set by the gateway (verified again by the engine later). */
  actor: 'x-strongroom-actor',
} as const;

export interface ClientOptions {
  /** host:port of the engine. */
  address: string;
  /** Default: insecure (loopback). Pass TLS credentials for remote engines. */
  credentials?: ChannelCredentials;
}

const CHANNEL_OPTIONS = { 'grpc.keepalive_time_ms': 30_000, 'grpc.max_receive_message_length': 16 * 1024 * 1024 };

export function createJobServiceClient(options: ClientOptions): JobServiceClient {
  return new JobServiceClient(options.address, options.credentials ?? credentials.createInsecure(), CHANNEL_OPTIONS);
}

export function createDeadLetterServiceClient(options: ClientOptions): DeadLetterServiceClient {
  return new DeadLetterServiceClient(options.address, options.credentials ?? credentials.createInsecure(), CHANNEL_OPTIONS);
}

/** A deadline `ms` from now, for the `deadline` call option (every call must carry one). */
export function deadlineIn(ms: number): Date {
  return new Date(Date.now() + ms);
}

export function createIngestServiceClient(options: ClientOptions): IngestServiceClient {
  return new IngestServiceClient(options.address, options.credentials ?? credentials.createInsecure(), CHANNEL_OPTIONS);
}

export function createAuditServiceClient(options: ClientOptions): AuditServiceClient {
  return new AuditServiceClient(options.address, options.credentials ?? credentials.createInsecure(), CHANNEL_OPTIONS);
}

export function createOpsServiceClient(options: ClientOptions): OpsServiceClient {
  return new OpsServiceClient(options.address, options.credentials ?? credentials.createInsecure(), CHANNEL_OPTIONS);
}
