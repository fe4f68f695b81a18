import { Column, Entity, PrimaryColumn } from 'typeorm';

export type ComplianceFramework = 'SOX' | 'PCI_DSS' | 'AML' | 'KYC';
export type DataClassification = 'PUBLIC' | 'INTERNAL' | 'CONFIDENTIAL' | 'RESTRICTED';
export type RiskLevel = 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

/** A named job; its definitions live in job_versions. */
@Entity({ name: 'jobs' })
export class JobEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'current_version', type: 'integer' }) currentVersion!: number;
  @Column({ name: 'source_kind', type: 'text' }) sourceKind!: string;
  @Column({ name: 'sink_table', type: 'text' }) sinkTable!: string;
  @Column({ name: 'compliance_frameworks', type: 'text', array: true }) complianceFrameworks!: ComplianceFramework[];
  @Column({ name: 'data_classification', type: 'text' }) dataClassification!: DataClassification;
  @Column({ name: 'data_sensitivity', type: 'text' }) dataSensitivity!: RiskLevel;
  @Column({ name: 'risk_level', type: 'text' }) riskLevel!: RiskLevel;
  /** The job's own retention; null = the policy of its data classification. */
  @Column({ name: 'retention_days', type: 'integer', nullable: true }) retentionDays!: number | null;
  @Column({ name: 'sla_deadline', type: 'timestamptz', nullable: true }) slaDeadline!: Date | null;
  /** Decimal string (numeric), never a float. */
  @Column({ name: 'sla_max_error_rate', type: 'numeric', nullable: true }) slaMaxErrorRate!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** One immutable version of a job's definition. */
@Entity({ name: 'job_versions' })
export class JobVersionEntity {
  @PrimaryColumn({ name: 'job_id', type: 'uuid' }) jobId!: string;
  @PrimaryColumn({ type: 'integer' }) version!: number;
  @Column({ type: 'jsonb' }) definition!: unknown;
  @Column({ name: 'definition_sha256', type: 'text' }) definitionSha256!: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
