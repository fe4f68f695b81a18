import { Column, Entity, PrimaryColumn } from 'typeorm';

export type RunStatus = 'PENDING' | 'RUNNING' | 'PAUSED' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** Per-currency control totals: count and exact sum in minor units (decimal string of a BigInt). */
export type CurrencyTotals = Record<string, { count: string; minor: string }>;

/** One execution of a job version over one source file. Counters are bigint → string. */
@Entity({ name: 'job_runs' })
export class JobRunEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ name: 'job_id', type: 'uuid' }) jobId!: string;
  @Column({ name: 'job_version', type: 'integer' }) jobVersion!: number;
  @Column({ type: 'text' }) status!: RunStatus;
  @Column({ name: 'source_path', type: 'text' }) sourcePath!: string;
  @Column({ name: 'source_sha256', type: 'text' }) sourceSha256!: string;
  @Column({ name: 'source_bytes', type: 'bigint' }) sourceBytes!: string;
  @Column({ name: 'records_read', type: 'bigint' }) recordsRead!: string;
  @Column({ name: 'records_loaded', type: 'bigint' }) recordsLoaded!: string;
  @Column({ name: 'records_dead_lettered', type: 'bigint' }) recordsDeadLettered!: string;
  @Column({ name: 'records_filtered', type: 'bigint' }) recordsFiltered!: string;
  /** Identifiers stored as card tokens (a warning: their business key changed). */
  @Column({ name: 'identifiers_tokenized', type: 'bigint', default: '0' }) identifiersTokenized!: string;
  @Column({ name: 'filtered_by_reason', type: 'jsonb' }) filteredByReason!: Record<string, number>;
  @Column({ name: 'bytes_read', type: 'bigint' }) bytesRead!: string;
  @Column({ name: 'batches_committed', type: 'integer' }) batchesCommitted!: number;
  @Column({ name: 'source_totals', type: 'jsonb', nullable: true }) sourceTotals!: CurrencyTotals | null;
  @Column({ name: 'sink_totals', type: 'jsonb', nullable: true }) sinkTotals!: CurrencyTotals | null;
  @Column({ type: 'boolean', nullable: true }) reconciled!: boolean | null;
  @Column({ name: 'reconciliation_reason', type: 'text', nullable: true }) reconciliationReason!: string | null;
  @Column({ name: 'error_code', type: 'text', nullable: true }) errorCode!: string | null;
  /** Column names of the source, kept so dead letters can be replayed through the same mapping. */
  @Column({ name: 'source_header', type: 'jsonb', nullable: true }) sourceHeader!: string[] | null;
  /** Why the run is PAUSED (or was interrupted). */
  @Column({ name: 'status_reason', type: 'text', nullable: true }) statusReason!: string | null;
  /** Times execution started (1 + resumes after interruptions). */
  @Column({ type: 'integer' }) attempts!: number;
  @Column({ name: 'error_message', type: 'text', nullable: true }) errorMessage!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
}

/**
 * The last committed position of one partition of a run (a byte range of the file); written in the
 * same transaction as the batch it follows.
 */
@Entity({ name: 'run_checkpoints' })
export class RunCheckpointEntity {
  @PrimaryColumn({ name: 'run_id', type: 'uuid' }) runId!: string;
  @PrimaryColumn({ name: 'partition_no', type: 'integer' }) partitionNo!: number;
  @Column({ name: 'start_byte', type: 'bigint' }) startByte!: string;
  @Column({ name: 'end_byte', type: 'bigint', nullable: true }) endByte!: string | null;
  @Column({ type: 'boolean' }) done!: boolean;
  @Column({ name: 'batch_seq', type: 'integer' }) batchSeq!: number;
  @Column({ name: 'records_read', type: 'bigint' }) recordsRead!: string;
  @Column({ name: 'byte_offset', type: 'bigint' }) byteOffset!: string;
  @Column({ type: 'bigint' }) loaded!: string;
  @Column({ name: 'dead_lettered', type: 'bigint' }) deadLettered!: string;
  @Column({ type: 'bigint' }) filtered!: string;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  /** FILE partitions are leased to engine replicas; a STREAM checkpoint is fenced by its batch sequence. */
  @Column({ type: 'text' }) kind!: 'FILE' | 'STREAM';
  @Column({ name: 'records_before', type: 'bigint' }) recordsBefore!: string;
  @Column({ type: 'text', nullable: true }) sha256!: string | null;
  @Column({ type: 'text', nullable: true }) owner!: string | null;
  @Column({ name: 'lease_epoch', type: 'bigint' }) leaseEpoch!: string;
  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true }) leaseExpiresAt!: Date | null;
  @Column({ name: 'fenced_batches', type: 'integer' }) fencedBatches!: number;
}
