// Public API of @strongroom/contract: the generated gRPC/protobuf types of proto/strongroom/engine/v1
// (DO NOT EDIT src/gen; run `npm run gen:contract`) and a tiny client factory.
export { Job } from './gen/strongroom/engine/v1/job';
export {
  RunStatus,
  runStatusFromJSON,
  runStatusToJSON,
  CurrencyTotal,
  Reconciliation,
  FilteredCount,
  Run,
} from './gen/strongroom/engine/v1/run';
export {
  CreateJobRequest,
  CreateJobResponse,
  GetJobRequest,
  GetJobResponse,
  ListJobsRequest,
  ListJobsResponse,
  RunJobRequest,
  RunJobResponse,
  GetRunRequest,
  GetRunResponse,
  ListRunsRequest,
  ListRunsResponse,
  CancelRunRequest,
  CancelRunResponse,
  PauseRunRequest,
  PauseRunResponse,
  ResumeRunRequest,
  ResumeRunResponse,
  WatchRunRequest,
  WatchRunResponse,
  JobServiceService,
  JobServiceClient,
  type JobServiceServer,
} from './gen/strongroom/engine/v1/job_service';
export {
  DeadLetterStatus,
  DeadLetter,
  ListDeadLettersRequest,
  ListDeadLettersResponse,
  DeadLetterCorrection,
  ReplayDeadLettersRequest,
  ReplayOutcome,
  ReplayDeadLettersResponse,
  DiscardDeadLettersRequest,
  DiscardDeadLettersResponse,
  DeadLetterServiceService,
  DeadLetterServiceClient,
  type DeadLetterServiceServer,
} from './gen/strongroom/engine/v1/dead_letter_service';
export {
  IngestRecord,
  IngestOpen,
  IngestBatch,
  IngestComplete,
  IngestRequest,
  RecordRejection,
  IngestAck,
  IngestOpened,
  IngestCompleted,
  IngestResponse,
  IngestServiceService,
  IngestServiceClient,
  type IngestServiceServer,
} from './gen/strongroom/engine/v1/ingest_service';
export { createJobServiceClient, createDeadLetterServiceClient, createIngestServiceClient, deadlineIn, METADATA_KEYS, type ClientOptions } from './client';
export { PROTO_ROOT, PROTO_FILES } from './proto-files';
