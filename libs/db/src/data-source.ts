import 'reflect-metadata';
import { type PoolClient } from 'pg';
import { DataSource, type QueryRunner } from 'typeorm';
import { JobEntity, JobVersionEntity } from './entities/job.entity';
import { JobRunEntity, RunCheckpointEntity } from './entities/run.entity';
import { DeadLetterEntity } from './entities/dead-letter.entity';
import { TransactionIntegrityEntity } from './entities/integrity.entity';
import {
  AuditLogEntryEntity,
  CircuitBreakerStateEntity,
  EngineReplicaEntity,
  PerformanceMetricEntity,
} from './entities/operations.entity';
import { InitialSchema1764300000000 } from './migrations/1764300000000-initial-schema';
import { ExactlyOnce1764400000000 } from './migrations/1764400000000-exactly-once';
import { AuditAndRoles1764500000000 } from './migrations/1764500000000-audit-and-roles';
import { ComplianceAlertEntity, KycCustomerEntity, LegalHoldEntity } from './entities/compliance.entity';
import { Compliance1764600000000 } from './migrations/1764600000000-compliance';
import { Retention1764700000000 } from './migrations/1764700000000-retention';
import { FieldEncryption1764800000000 } from './migrations/1764800000000-field-encryption';
import { SinkLoadPath1764900000000 } from './migrations/1764900000000-sink-load-path';
import { LeastPrivilege1765000000000 } from './migrations/1765000000000-least-privilege';
import { HoldsBlindIndex1765100000000 } from './migrations/1765100000000-holds-blind-index';
import { Approvals1765200000000 } from './migrations/1765200000000-approvals';
import { IdentifiersTokenized1765300000000 } from './migrations/1765300000000-identifiers-tokenized';
import { PartitionLeases1765400000000 } from './migrations/1765400000000-partition-leases';
import { GovernanceInDoubt1765500000000 } from './migrations/1765500000000-governance-in-doubt';
import { ScheduleFires1765600000000 } from './migrations/1765600000000-schedule-fires';
import { SanctionsListSets1765700000000 } from './migrations/1765700000000-sanctions-list-sets';
import { KycSourceTime1765800000000 } from './migrations/1765800000000-kyc-source-time';
import { AlertReferencesPerStatement1765900000000 } from './migrations/1765900000000-alert-references-per-statement';
import { AmlMonitoredRows1766000000000 } from './migrations/1766000000000-aml-monitored-rows';
import { RunIdRanges1766100000000 } from './migrations/1766100000000-run-id-ranges';
import { AuditTail1766200000000 } from './migrations/1766200000000-audit-tail';
import { AlertIdsTimeOrdered1766300000000 } from './migrations/1766300000000-alert-ids-time-ordered';
import { SinkIdCache1766400000000 } from './migrations/1766400000000-sink-id-cache';
import { linkWatchdogClient } from './link-watchdog';

export const ENTITIES = [
  JobEntity,
  JobVersionEntity,
  JobRunEntity,
  RunCheckpointEntity,
  DeadLetterEntity,
  TransactionIntegrityEntity,
  CircuitBreakerStateEntity,
  PerformanceMetricEntity,
  AuditLogEntryEntity,
  ComplianceAlertEntity,
  KycCustomerEntity,
  LegalHoldEntity,
  EngineReplicaEntity,
];

/** Migrations in order. Never `synchronize`: the schema changes only through these. */
export const MIGRATIONS = [
  InitialSchema1764300000000,
  ExactlyOnce1764400000000,
  AuditAndRoles1764500000000,
  Compliance1764600000000,
  Retention1764700000000,
  FieldEncryption1764800000000,
  SinkLoadPath1764900000000,
  LeastPrivilege1765000000000,
  HoldsBlindIndex1765100000000,
  Approvals1765200000000,
  IdentifiersTokenized1765300000000,
  PartitionLeases1765400000000,
  GovernanceInDoubt1765500000000,
  ScheduleFires1765600000000,
  SanctionsListSets1765700000000,
  KycSourceTime1765800000000,
  AlertReferencesPerStatement1765900000000,
  AmlMonitoredRows1766000000000,
  RunIdRanges1766100000000,
  AuditTail1766200000000,
  AlertIdsTimeOrdered1766300000000,
  SinkIdCache1766400000000,
];

/** The least-privilege group role whose grants the engine works with (created by the migrations). */
export const RUNTIME_ROLE = 'strongroom_runtime';

export interface DataSourceOptions {
  /** postgres://user:pass@host:port/db */
  url: string;
  /** Maximum pooled connections. Default 10. */
  poolSize?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** statement_timeout for every session, ms. Default 60000; 0 disables. */
  statementTimeoutMs?: number;
  /** lock_timeout for every session, ms. Default 10000. */
  lockTimeoutMs?: number;
  /** Connection timeout (TCP connect + startup + waiting for a pool slot), ms. Default 10000. */
  connectTimeoutMs?: number;
  /**
   * Client-side timeout: a connection whose statement has had no byte moving either way for this long is
   * closed (a dead or blackholed link, which statement_timeout cannot catch). Default statement_timeout +
   * 5000 ms; 0 disables (also the default when statement_timeout is 0).
   */
  clientTimeoutMs?: number;
  /** idle_in_transaction_session_timeout, ms: the server ends a session left idle inside a transaction. Default 300000. */
  idleInTransactionTimeoutMs?: number;
  /**
   * Role every session switches to at connect (tests use it to act as RUNTIME_ROLE through an owner's
   * login). The engine never uses it: a switched role can be switched back (`SET ROLE NONE`), so its
   * sessions log in as a runtime login instead (runtime-login.ts).
   */
  role?: string;
}

/** Builds (does not initialize) a TypeORM DataSource for Strongroom's schema. */
export function createDataSource(options: DataSourceOptions): DataSource {
  const statementTimeout = options.statementTimeoutMs ?? 60_000;
  const lockTimeout = options.lockTimeoutMs ?? 10_000;
  const idleInTransaction = options.idleInTransactionTimeoutMs ?? 300_000;
  const clientTimeout = options.clientTimeoutMs ?? (statementTimeout > 0 ? statementTimeout + 5_000 : 0);
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: options.applicationName ?? 'strongroom',
    connectTimeoutMS: options.connectTimeoutMs ?? 10_000,
    poolSize: options.poolSize ?? 10,
    extra: {
      // libpq-style options applied at connection start: every session has timeouts.
      options: `-c statement_timeout=${statementTimeout} -c lock_timeout=${lockTimeout} -c idle_in_transaction_session_timeout=${idleInTransaction} -c TimeZone=UTC${options.role ? ` -c role=${roleName(options.role)}` : ''}`,
      // a peer that vanished (host down, cable cut) is noticed by TCP keepalive after ~10 s idle + probes…
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      // …and a link that swallows packets while a statement is in flight, by the client-side watchdog
      ...(clientTimeout > 0 ? { Client: linkWatchdogClient(clientTimeout) } : {}),
    },
  });
}

/** The node-postgres client under a connected TypeORM query runner (for COPY on the hot path). */
export function pgClientOf(runner: QueryRunner): PoolClient {
  const client = (runner as unknown as { databaseConnection?: PoolClient }).databaseConnection;
  if (!client) throw new Error('query runner is not connected');
  return client;
}

/**
 * Gives a query runner's connection back so that the pool closes it instead of handing it out again: for a
 * session left in a state nobody else should inherit (settings that could not be reset).
 */
export async function discardQueryRunner(runner: QueryRunner): Promise<void> {
  const pg = runner as unknown as { releasePostgresConnection?: (err?: Error) => Promise<void> };
  if (pg.releasePostgresConnection) await pg.releasePostgresConnection(new Error('session discarded'));
  else await runner.release();
}

function roleName(role: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(role)) throw new Error(`invalid role name ${role}`);
  return role;
}
