// Public API of @strongroom/pipeline: what the engine, the tools and the tests use of the run loop and the
// stores around it, by concern. Everything else in this library is internal.
//   jobs/          job definitions (the job-file schema) and their versions
//   run/           runs: store, executor, status transitions, streaming ingest, SLA, verification
//   load/          mapping, validation, batch commit into the sink, integrity rows
//   dead-letters/  listing, replaying and discarding dead letters
//   compliance/    AML/sanctions/KYC checks in the load path, alerts, field-key rotation
//   retention/     legal holds and the retention purge
//   reports/       SOX, PCI_DSS, AML and KYC reports
export {
  parseJobDefinition,
  canonicalDefinition,
  confineJobPaths,
  splitInbox,
  matchesInboxPattern,
  type JobDefinition,
} from './jobs/job-definition';
export { saveJob, getJob, jobsWith, listJobs, withDefinitions, isUuid, type JobWithDefinition } from './jobs/job-store';
export { operatorText } from './operator-text';
export { createRun, getRun, listRuns, runThroughput } from './run/run-store';
export { executeRun, stopReason } from './run/run-executor';
export { type RunContext } from './run/run-context';
export { RunControl, type RunRequest } from './run/run-control';
export { endUnpublished, RunFencedError, setPaused } from './run/run-status';
export { listRunPartitions, type PartitionView } from './run/partition-lease';
export { IngestSession, type IngestAck, type IngestRecordInput, type PreparedIngestBatch } from './run/ingest';
export { RunLockHolder } from './run/run-lock';
export { verifyRun, type VerifyRunResult } from './run/verify-run';
export { sinkTotals } from './run/run-finalizer';
export { isDatabaseOutage } from './run/db-outage';
export { evaluateRunSla, type Sla, type SlaEvaluation } from './run/sla';
export { SINK_COLUMNS } from './load/batch-writer';
export { SINK_COPY_FORMAT, sinkLines } from './load/sink-lines';
export { canonicalLine } from './load/integrity';
export { createTransactionMapper } from './load/transaction-mapper';
export { type CanonicalTransaction } from './types';
export { listDeadLetters, countDeadLetters, discardDeadLetters } from './dead-letters/dead-letters';
export { replayDeadLetters } from './dead-letters/replay';
export { type ScreeningSetup } from './compliance/compliance-checks';
export { listAlerts, transitionAlert, type AlertOrder } from './compliance/alerts';
export {
  startKeyRotation,
  runKeyRotation,
  getKeyRotation,
  runningKeyRotation,
  type KeyRotation,
} from './compliance/key-rotation';
export {
  placeHold,
  releaseHold,
  listHolds,
  purgeExpired,
  type AccountForms,
  type RetentionPolicy,
} from './retention/retention';
export { buildReport, reportToCsv, type ReportInputs } from './reports/reports';
export {
  parseCron,
  isTimeZone,
  firesAt,
  firesBetween,
  previousFire,
  wallClock,
  type ScheduleSpec,
  type CronExpression,
} from './jobs/schedule';
export {
  KYC_COLUMNS,
  readKycFile,
  upsertKycRows,
  validateKycRecord,
  type KycFile,
  type KycRow,
} from './kyc/kyc-records';
