// Public API of @strongroom/pipeline: job definitions, job and run persistence, and the run loop
// (source → validation/mapping → batched, checkpointed load → reconciliation).
export * from './types';
export { parseJobDefinition, asFileJob, isBankSource, recordLayout, BANK_SOURCE_KINDS, canonicalDefinition, jobDefinitionSchema, CANONICAL_FIELDS, REQUIRED_FIELDS, ENCRYPTABLE_FIELDS, type JobDefinition, type CanonicalField, type EncryptableField } from './job-definition';
export { saveJob, getJob, listJobs, withDefinitions, isUuid, type JobWithDefinition } from './job-store';
export { createRun, getRun, listRuns, fileDigest, type RunFilter } from './run-store';
export { executeRun, type RunContext } from './run-executor';
export { SINK_COLUMNS } from './batch-writer';
export { RunControl, type RunRequest } from './run-control';
export { endUnpublished } from './run-lifecycle';
export { sinkTotals } from './run-finalizer';
export { parseAmount, formatAmount, formatMinor, type Money } from './money';
export { currencyExponent, isCurrency } from './currencies';
export { parseDate, parseTimestamp } from './temporal';
export { totalsFromJson, totalsToJson, type Totals } from './integrity';
export { withRetry, backoffMs, DEFAULT_RETRY, type RetryPolicy } from './retry';
export { AdaptiveBatchSize } from './adaptive-batch';
export { listDeadLetters, replayDeadLetters, discardDeadLetters, type DeadLetterFilter, type ReplayOutcome, type ReplayRequest } from './dead-letters';
export { IngestSession, type IngestAck, type IngestRecordInput } from './ingest';
export { verifyRun, type VerifyRunResult } from './verify-run';
export { isDatabaseOutage } from './db-outage';
export { isSourceOutage } from './source-outage';
export { complianceChecksFor, runComplianceChecks, type ComplianceChecks, type ScreeningSetup } from './compliance-checks';
export { listAlerts, transitionAlert, ALERT_RULES, type AlertFilter } from './alerts';
export { placeHold, releaseHold, listHolds, purgeExpired, DEFAULT_RETENTION_DAYS, type RetentionPolicy, type PurgeResult, type Classification } from './retention';
export { buildReport, reportToCsv, reportPeriod, REPORT_FRAMEWORKS, type ComplianceReport, type ReportFramework, type KeyInfo, type ReportInputs } from './reports';
export { startKeyRotation, runKeyRotation, getKeyRotation, runningKeyRotation, type KeyRotation } from './key-rotation';
export { evaluateSla, ERROR_RATE_WARNING, type Sla, type SlaStatus, type SlaEvaluation, type SlaRunFacts } from './sla';
