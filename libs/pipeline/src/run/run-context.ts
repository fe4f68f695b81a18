import { type KeyProvider, type PanProtector } from '@strongroom/compliance';
import { type SourceRoots } from '@strongroom/connectors';
import { type DataSource, type JobRunEntity } from '@strongroom/db';
import { type Logger } from '@strongroom/logging';
import { type Breaker } from '@strongroom/resilience';
import { type ScreeningSetup } from '../compliance/compliance-checks';
import { type RunLockHolder } from './run-lock';

/** What a run (file or ingest stream) executes with: the database, its breakers, keys, screening and observers. */
export interface RunContext {
  ds: DataSource;
  logger: Logger;
  pan: PanProtector;
  /** Who the engine acts as in audit entries (e.g. `service:engine`). */
  actor?: string;
  /** Circuit breaker of the database: batch commits go through it (an open breaker fails fast). */
  db?: Breaker;
  /** Sanctions screening (list, threshold, breaker) for jobs with AML. */
  screening?: ScreeningSetup;
  /** Key ring for RESTRICTED fields (AES-256-GCM) and the account blind index. */
  fieldKeys?: KeyProvider;
  /** Where source files may be read from; a run whose file is elsewhere fails with SOURCE_OUTSIDE_ROOTS before reading it. */
  sourceRoots?: SourceRoots;
  /** Circuit breaker of file sources: opening a source and reading each batch go through it. */
  source?: Breaker;
  /** Called after each committed batch of a file or ingest run with the job's name and the commit time (metrics). */
  onBatchCommitted?: (job: string, ms: number) => void;
  /** Progress of an ingest run (at open, after each batch, at completion); file runs report through the scheduler. */
  onIngestProgress?: (run: JobRunEntity) => void;
  /** The run locks of the engine's ingest streams, held on one connection (close it before the data source). */
  streamLocks?: RunLockHolder;
  /** This engine replica's id: the owner of the partition leases it holds (default engine-<pid>). */
  replicaId?: string;
  /** Lease of a partition (ENGINE_LEASE_TTL_MS, default 30 s), renewed every third of it. */
  leaseTtlMs?: number;
  /** Size a CSV file run is cut into partitions at (STRONGROOM_PARTITION_BYTES, default 64 MiB). */
  partitionBytes?: number;
  /** Test-only: called at named points ('batch:mid-copy', 'batch:before-commit', …); may kill the process. */
  crash?: (point: string) => void;
}

/** Figures collected while a run executes, for performance_metrics. */
export interface RunStats {
  commitMs: number[];
  peakRssBytes: number;
  startedAt: number;
}
