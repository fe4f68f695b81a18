import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Run engine (issue 3): partitions with their own checkpoints, the source header kept for replays,
 * publication (a run's rows are visible through `transactions_published` once it SUCCEEDED), DLQ
 * resolution fields, idempotent ingest batches, and a pause reason.
 */
export class ExactlyOnce1764400000000 implements MigrationInterface {
  name = 'ExactlyOnce1764400000000';

  async up(q: QueryRunner): Promise<void> {
    // checkpoints per partition (a byte range of a file, or a slice of a stream)
    await q.query(`ALTER TABLE run_checkpoints DROP CONSTRAINT run_checkpoints_pkey`);
    await q.query(
      `ALTER TABLE run_checkpoints ADD COLUMN partition_no integer NOT NULL DEFAULT 0 CHECK (partition_no >= 0)`,
    );
    await q.query(
      `ALTER TABLE run_checkpoints ADD COLUMN start_byte bigint NOT NULL DEFAULT 0 CHECK (start_byte >= 0)`,
    );
    await q.query(
      `ALTER TABLE run_checkpoints ADD COLUMN end_byte bigint CHECK (end_byte IS NULL OR end_byte >= start_byte)`,
    );
    await q.query(`ALTER TABLE run_checkpoints ADD COLUMN done boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE run_checkpoints ADD PRIMARY KEY (run_id, partition_no)`);

    await q.query(`ALTER TABLE job_runs ADD COLUMN source_header jsonb`);
    await q.query(`ALTER TABLE job_runs ADD COLUMN status_reason text`);
    await q.query(`ALTER TABLE job_runs ADD COLUMN attempts integer NOT NULL DEFAULT 0`);

    await q.query(`ALTER TABLE dead_letter_queue ADD COLUMN resolution text`);
    await q.query(`ALTER TABLE dead_letter_queue ADD COLUMN resolved_by text`);
    await q.query(`ALTER TABLE dead_letter_queue ADD COLUMN resolved_at timestamptz`);
    await q.query(`ALTER TABLE dead_letter_queue ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now()`);
    await q.query(`CREATE INDEX dead_letter_queue_run_status_idx ON dead_letter_queue (run_id, status, record_no)`);

    // Downstream reads this view: rows of a run appear together, when the run SUCCEEDED.
    await q.query(`
      CREATE VIEW transactions_published AS
        SELECT t.* FROM transactions t
         WHERE EXISTS (SELECT 1 FROM job_runs r WHERE r.id = t.run_id AND r.status = 'SUCCEEDED')`);

    await q.query(`
      CREATE TABLE ingest_batches (
        run_id          uuid NOT NULL REFERENCES job_runs(id),
        idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 128),
        batch_seq       integer NOT NULL,
        records         integer NOT NULL CHECK (records >= 0),
        result          jsonb NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, idempotency_key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ingest_batches`);
    await q.query(`DROP VIEW transactions_published`);
    await q.query(`DROP INDEX dead_letter_queue_run_status_idx`);
    for (const c of ['resolution', 'resolved_by', 'resolved_at', 'updated_at'])
      await q.query(`ALTER TABLE dead_letter_queue DROP COLUMN ${c}`);
    for (const c of ['source_header', 'status_reason', 'attempts'])
      await q.query(`ALTER TABLE job_runs DROP COLUMN ${c}`);
    await q.query(`ALTER TABLE run_checkpoints DROP CONSTRAINT run_checkpoints_pkey`);
    for (const c of ['partition_no', 'start_byte', 'end_byte', 'done'])
      await q.query(`ALTER TABLE run_checkpoints DROP COLUMN ${c}`);
    await q.query(`ALTER TABLE run_checkpoints ADD PRIMARY KEY (run_id)`);
  }
}
