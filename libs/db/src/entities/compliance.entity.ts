import { Column, Entity, PrimaryColumn } from 'typeorm';

export type AlertRule =
  | 'SANCTIONS'
  | 'LARGE_TRANSACTION'
  | 'STRUCTURING'
  | 'VELOCITY'
  | 'ROUND_AMOUNT'
  | 'HIGH_RISK_JURISDICTION'
  | 'RAPID_MOVEMENT'
  | 'KYC';
export type AlertStatus = 'OPEN' | 'ESCALATED' | 'CLOSED';

/** An AML / sanctions / KYC alert raised while loading, with its evidence (masked) and lifecycle. */
@Entity({ name: 'compliance_alerts' })
export class ComplianceAlertEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ type: 'text' }) rule!: AlertRule;
  /** Deduplication key within the rule (transaction business key, or account + window). */
  @Column({ name: 'dedupe_key', type: 'text' }) dedupeKey!: string;
  /** 0–100. */
  @Column({ type: 'integer' }) score!: number;
  @Column({ type: 'text' }) status!: AlertStatus;
  @Column({ name: 'source_system', type: 'text' }) sourceSystem!: string;
  @Column({ name: 'txn_id', type: 'text' }) txnId!: string;
  @Column({ type: 'text' }) account!: string;
  @Column({ name: 'booked_at', type: 'timestamptz' }) bookedAt!: Date;
  @Column({ name: 'job_id', type: 'uuid' }) jobId!: string;
  @Column({ name: 'run_id', type: 'uuid' }) runId!: string;
  @Column({ type: 'jsonb' }) evidence!: Record<string, unknown>;
  @Column({ name: 'status_reason', type: 'text', nullable: true }) statusReason!: string | null;
  @Column({ name: 'status_changed_by', type: 'text', nullable: true }) statusChangedBy!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

export type KycStatus = 'VERIFIED' | 'PENDING' | 'REJECTED';

/** KYC status of the customer behind an account. */
@Entity({ name: 'kyc_customers' })
export class KycCustomerEntity {
  @PrimaryColumn({ type: 'text' }) account!: string;
  @Column({ name: 'customer_id', type: 'text' }) customerId!: string;
  @Column({ type: 'text' }) status!: KycStatus;
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt!: Date | null;
  @Column({ name: 'risk_level', type: 'text' }) riskLevel!: string;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  /** When the file the row comes from was submitted or loaded: only as recent a file replaces it. */
  @Column({ name: 'source_at', type: 'timestamptz', nullable: true }) sourceAt!: Date | null;
}

export type HoldScope = 'ACCOUNT' | 'JOB' | 'RUN';

/** A legal hold: rows in its scope outlive their retention until it is released. */
@Entity({ name: 'legal_holds' })
export class LegalHoldEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ type: 'text' }) scope!: HoldScope;
  /** The account, job id or run id held. */
  @Column({ type: 'text' }) value!: string;
  /** For an account hold: the account's blind index, which matches it in a RESTRICTED (encrypted) job's rows. */
  @Column({ name: 'value_bidx', type: 'text', nullable: true }) valueBidx!: string | null;
  @Column({ type: 'text' }) reason!: string;
  @Column({ name: 'placed_by', type: 'text' }) placedBy!: string;
  @Column({ name: 'placed_at', type: 'timestamptz' }) placedAt!: Date;
  @Column({ name: 'released_by', type: 'text', nullable: true }) releasedBy!: string | null;
  @Column({ name: 'released_at', type: 'timestamptz', nullable: true }) releasedAt!: Date | null;
  @Column({ name: 'release_reason', type: 'text', nullable: true }) releaseReason!: string | null;
}
