// Public API of @strongroom/db: the DataSource factory, entities, migrations and the schema snapshot.
export {
  createDataSource,
  pgClientOf,
  discardQueryRunner,
  ENTITIES,
  MIGRATIONS,
  RUNTIME_ROLE,
  type DataSourceOptions,
} from './data-source';
export { runMigrations, MIGRATION_LOCK_KEY } from './migrate';
export { RUNTIME_LOGIN, ensureRuntimeLogin, excessPrivileges, withLogin } from './runtime-login';
export { sqlExec, sqlLiteral, type SqlExec } from './sql-exec';
export { dumpSchema } from './schema-dump';
export {
  JobEntity,
  JobVersionEntity,
  type ComplianceFramework,
  type DataClassification,
  type RiskLevel,
} from './entities/job.entity';
export {
  JobRunEntity,
  RunCheckpointEntity,
  TERMINAL_RUN_STATUSES,
  type RunStatus,
  type CurrencyTotals,
} from './entities/run.entity';
export { DeadLetterEntity, type DeadLetterStatus } from './entities/dead-letter.entity';
export { TransactionIntegrityEntity } from './entities/integrity.entity';
export {
  AuditLogEntryEntity,
  CircuitBreakerStateEntity,
  EngineReplicaEntity,
  PerformanceMetricEntity,
} from './entities/operations.entity';
export type { DataSource, EntityManager, QueryRunner } from 'typeorm';
export {
  ComplianceAlertEntity,
  KycCustomerEntity,
  LegalHoldEntity,
  type AlertRule,
  type AlertStatus,
  type KycStatus,
  type HoldScope,
} from './entities/compliance.entity';
