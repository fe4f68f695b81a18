import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Audit (issue 4): signed checkpoints of the hash chain, and least privilege. Migrations run as the
 * owner (the DATABASE_URL user); the engine works as `strongroom_runtime`, which may read and write
 * the operational tables but may only SELECT and INSERT the audit tables — no UPDATE, DELETE or
 * TRUNCATE, and, not being the owner, no ALTER TABLE … DISABLE TRIGGER. New tables must be granted
 * explicitly in their migration.
 */
export class AuditAndRoles1764500000000 implements MigrationInterface {
  name = 'AuditAndRoles1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_checkpoints (
        seq        bigint PRIMARY KEY CHECK (seq >= 1),
        hash       text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
        signed_at  timestamptz NOT NULL,
        key_id     text NOT NULL,
        signature  text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TRIGGER audit_checkpoints_no_update_delete BEFORE UPDATE OR DELETE ON audit_checkpoints
        FOR EACH ROW EXECUTE FUNCTION immutable_audit_log_reject()`);
    await q.query(`
      CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
        FOR EACH STATEMENT EXECUTE FUNCTION immutable_audit_log_reject()`);
    await q.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'strongroom_runtime') THEN
          CREATE ROLE strongroom_runtime NOLOGIN;
        END IF;
      END $$`);
    // the owner's sessions may switch to the runtime role (superusers may anyway)
    await q.query(`
      DO $$ BEGIN
        IF NOT pg_has_role(current_user, 'strongroom_runtime', 'MEMBER') THEN
          EXECUTE format('GRANT strongroom_runtime TO %I', current_user);
        END IF;
      END $$`);
    await q.query(`GRANT USAGE ON SCHEMA public TO strongroom_runtime`);
    await q.query(`
      GRANT SELECT, INSERT, UPDATE, DELETE ON jobs, job_versions, job_runs, run_checkpoints, transactions,
        dead_letter_queue, transaction_integrity, circuit_breaker_states, performance_metrics, ingest_batches
        TO strongroom_runtime`);
    await q.query(`GRANT SELECT, INSERT ON immutable_audit_log, audit_checkpoints TO strongroom_runtime`);
    await q.query(`GRANT SELECT ON transactions_published, schema_migrations TO strongroom_runtime`);
    await q.query(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO strongroom_runtime`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM strongroom_runtime`);
    await q.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM strongroom_runtime`);
    await q.query(`REVOKE USAGE ON SCHEMA public FROM strongroom_runtime`);
    await q.query(`DROP TABLE audit_checkpoints`);
  }
}
