import path from 'node:path';

/** Directory holding the .proto sources (needed at run time by gRPC reflection). */
export const PROTO_ROOT = path.resolve(__dirname, '..', '..', '..', 'proto');

/** The service's .proto files, relative to PROTO_ROOT. */
export const PROTO_FILES = [
  'strongroom/engine/v1/job.proto',
  'strongroom/engine/v1/run.proto',
  'strongroom/engine/v1/job_service.proto',
  'strongroom/engine/v1/dead_letter_service.proto',
  'strongroom/engine/v1/ingest_service.proto',
  'strongroom/engine/v1/audit_service.proto',
  'strongroom/engine/v1/ops_service.proto',
  'strongroom/engine/v1/compliance_service.proto',
];
