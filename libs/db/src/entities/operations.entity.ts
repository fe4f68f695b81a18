import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Last known state of each circuit breaker (docs/design.md I7). */
@Entity({ name: 'circuit_breaker_states' })
export class CircuitBreakerStateEntity {
  @PrimaryColumn({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) state!: 'CLOSED' | 'OPEN' | 'HALF_OPEN';
  @Column({ name: 'failure_count', type: 'integer' }) failureCount!: number;
  @Column({ name: 'opened_at', type: 'timestamptz', nullable: true }) openedAt!: Date | null;
  @Column({ name: 'last_transition_at', type: 'timestamptz' }) lastTransitionAt!: Date;
  @Column({ type: 'jsonb' }) details!: unknown;
}

/** Throughput, batch latency percentiles, error rate and memory of a finished run. */
@Entity({ name: 'performance_metrics' })
export class PerformanceMetricEntity {
  @PrimaryColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'run_id', type: 'uuid' }) runId!: string;
  @Column({ name: 'records_per_second', type: 'numeric' }) recordsPerSecond!: string;
  @Column({ name: 'batch_p50_ms', type: 'numeric', nullable: true }) batchP50Ms!: string | null;
  @Column({ name: 'batch_p95_ms', type: 'numeric', nullable: true }) batchP95Ms!: string | null;
  @Column({ name: 'batch_p99_ms', type: 'numeric', nullable: true }) batchP99Ms!: string | null;
  @Column({ name: 'error_rate', type: 'numeric' }) errorRate!: string;
  @Column({ name: 'peak_rss_bytes', type: 'bigint', nullable: true }) peakRssBytes!: string | null;
  @Column({ name: 'recorded_at', type: 'timestamptz' }) recordedAt!: Date;
}

/** One entry of the tamper-evident audit chain (append-only; enforced by triggers). */
@Entity({ name: 'immutable_audit_log' })
export class AuditLogEntryEntity {
  @PrimaryColumn({ type: 'bigint' }) seq!: string;
  @Column({ name: 'occurred_at', type: 'timestamptz' }) occurredAt!: Date;
  @Column({ type: 'text' }) actor!: string;
  @Column({ type: 'text' }) action!: string;
  @Column({ type: 'jsonb' }) subject!: unknown;
  @Column({ type: 'jsonb' }) details!: unknown;
  @Column({ name: 'prev_hash', type: 'text' }) prevHash!: string;
  @Column({ type: 'text' }) hash!: string;
}

/** An engine replica: registered at start, heartbeats while it runs (the database's clock), stopped_at when it stops. */
@Entity({ name: 'engine_replicas' })
export class EngineReplicaEntity {
  @PrimaryColumn({ type: 'text' }) id!: string;
  @Column({ type: 'text' }) host!: string;
  @Column({ type: 'integer' }) pid!: number;
  @Column({ type: 'text', nullable: true }) address!: string | null;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt!: Date;
  @Column({ name: 'heartbeat_at', type: 'timestamptz' }) heartbeatAt!: Date;
  @Column({ name: 'stopped_at', type: 'timestamptz', nullable: true }) stoppedAt!: Date | null;
}
