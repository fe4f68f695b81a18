import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Digest and control totals of one committed batch (scope BATCH) or of a whole run (scope RUN). */
@Entity({ name: 'transaction_integrity' })
export class TransactionIntegrityEntity {
  @PrimaryColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'run_id', type: 'uuid' }) runId!: string;
  @Column({ name: 'batch_seq', type: 'integer', nullable: true }) batchSeq!: number | null;
  @Column({ type: 'text' }) scope!: 'BATCH' | 'RUN';
  @Column({ name: 'record_count', type: 'bigint' }) recordCount!: string;
  @Column({ type: 'jsonb' }) totals!: unknown;
  @Column({ name: 'digest_sha256', type: 'text' }) digestSha256!: string;
  @Column({ type: 'boolean', nullable: true }) reconciled!: boolean | null;
  @Column({ type: 'jsonb' }) details!: unknown;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'partition_no', type: 'integer', nullable: true }) partitionNo!: number | null;
  @Column({ name: 'lease_epoch', type: 'bigint', nullable: true }) leaseEpoch!: string | null;
  /** A BATCH row's ids in the sink lie within first_id…last_id (with other runs' rows between them). */
  @Column({ name: 'first_id', type: 'bigint', nullable: true }) firstId!: string | null;
  @Column({ name: 'last_id', type: 'bigint', nullable: true }) lastId!: string | null;
}
