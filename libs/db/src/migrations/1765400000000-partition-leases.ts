import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Scale-out (issue 18): a file run's partitions are leased to engine replicas. Each partition row
 * (run_checkpoints) gets its place in the file (records before it, the planned SHA-256 of its byte
 * range), an owner, a lease epoch bumped by every claim and a lease expiry on the database's clock; a
 * batch commits only while its partition row still names its owner and epoch. Integrity rows say which
 * partition and epoch committed them. engine_replicas lists the live engines (heartbeats).
 */
export class PartitionLeases1765400000000 implements MigrationInterface {
  name = 'PartitionLeases1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE run_checkpoints
        ADD COLUMN kind text NOT NULL DEFAULT 'FILE' CHECK (kind IN ('FILE','STREAM')),
        ADD COLUMN records_before bigint NOT NULL DEFAULT 0 CHECK (records_before >= 0),
        ADD COLUMN sha256 text CHECK (sha256 IS NULL OR sha256 ~ '^[0-9a-f]{64}$'),
        ADD COLUMN owner text,
        ADD COLUMN lease_epoch bigint NOT NULL DEFAULT 0 CHECK (lease_epoch >= 0),
        ADD COLUMN lease_expires_at timestamptz,
        ADD COLUMN fenced_batches integer NOT NULL DEFAULT 0`);
    // the checkpoints of ingest streams are not leased (a stream is fenced by its batch sequence)
    await q.query(`
      UPDATE run_checkpoints c SET kind = 'STREAM'
        FROM job_runs r JOIN job_versions v ON v.job_id = r.job_id AND v.version = r.job_version
       WHERE c.run_id = r.id AND v.definition->'source'->>'kind' = 'grpc'`);
    await q.query(`
      ALTER TABLE transaction_integrity
        ADD COLUMN partition_no integer,
        ADD COLUMN lease_epoch bigint`);
    await q.query(`
      CREATE TABLE engine_replicas (
        id            text PRIMARY KEY,
        host          text NOT NULL,
        pid           integer NOT NULL,
        address       text,
        started_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
        heartbeat_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
        stopped_at    timestamptz
      )`);
    await q.query(`GRANT SELECT, INSERT, UPDATE ON engine_replicas TO strongroom_runtime`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE engine_replicas`);
    await q.query(`ALTER TABLE transaction_integrity DROP COLUMN partition_no, DROP COLUMN lease_epoch`);
    await q.query(`
      ALTER TABLE run_checkpoints DROP COLUMN kind, DROP COLUMN records_before, DROP COLUMN sha256, DROP COLUMN owner,
        DROP COLUMN lease_epoch, DROP COLUMN lease_expires_at, DROP COLUMN fenced_batches`);
  }
}
