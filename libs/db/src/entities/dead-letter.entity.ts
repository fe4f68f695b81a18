import { Column, Entity, PrimaryColumn } from 'typeorm';

export type DeadLetterStatus = 'PENDING' | 'REPLAYED' | 'DISCARDED';

/** A record that could not be loaded, with its (PAN-masked) raw form and the reason. */
@Entity({ name: 'dead_letter_queue' })
export class DeadLetterEntity {
  @PrimaryColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'run_id', type: 'uuid' }) runId!: string;
  @Column({ name: 'job_id', type: 'uuid' }) jobId!: string;
  @Column({ name: 'record_no', type: 'bigint' }) recordNo!: string;
  @Column({ name: 'raw_record', type: 'text' }) rawRecord!: string;
  @Column({ name: 'reason_code', type: 'text' }) reasonCode!: string;
  @Column({ name: 'reason_message', type: 'text' }) reasonMessage!: string;
  @Column({ type: 'text', nullable: true }) field!: string | null;
  @Column({ type: 'integer' }) attempts!: number;
  @Column({ type: 'text' }) status!: DeadLetterStatus;
  @Column({ name: 'data_classification', type: 'text' }) dataClassification!: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  /** Why it was discarded, or what the replay did. */
  @Column({ type: 'text', nullable: true }) resolution!: string | null;
  @Column({ name: 'resolved_by', type: 'text', nullable: true }) resolvedBy!: string | null;
  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true }) resolvedAt!: Date | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
