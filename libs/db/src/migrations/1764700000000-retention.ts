import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Retention (issue 6): a job's retention is its own `retentionDays` when its definition sets one, else
 * the policy of its data classification (engine configuration, default 7 years) — so `retention_days`
 * becomes nullable. Legal holds keep rows past their retention: by account, job or run; placed and
 * released with a reason and an actor, never deleted.
 */
export class Retention1764700000000 implements MigrationInterface {
  name = 'Retention1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE jobs ALTER COLUMN retention_days DROP NOT NULL, ALTER COLUMN retention_days DROP DEFAULT`,
    );
    await q.query(`
      CREATE TABLE legal_holds (
        id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        scope          text NOT NULL CHECK (scope IN ('ACCOUNT','JOB','RUN')),
        value          text NOT NULL CHECK (length(value) BETWEEN 1 AND 200),
        reason         text NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
        placed_by      text NOT NULL,
        placed_at      timestamptz NOT NULL DEFAULT now(),
        released_by    text,
        released_at    timestamptz,
        release_reason text,
        CONSTRAINT legal_holds_release_complete CHECK ((released_at IS NULL) = (released_by IS NULL) AND (released_at IS NULL) = (release_reason IS NULL))
      )`);
    await q.query(`CREATE INDEX legal_holds_active_idx ON legal_holds (scope, value) WHERE released_at IS NULL`);
    // retention sweeps by booking date
    await q.query(`CREATE INDEX transactions_booked_idx ON transactions (booked_at)`);
    await q.query(`GRANT SELECT, INSERT, UPDATE ON legal_holds TO strongroom_runtime`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX transactions_booked_idx`);
    await q.query(`DROP TABLE legal_holds`);
    await q.query(`UPDATE jobs SET retention_days = 2557 WHERE retention_days IS NULL`);
    await q.query(
      `ALTER TABLE jobs ALTER COLUMN retention_days SET DEFAULT 2557, ALTER COLUMN retention_days SET NOT NULL`,
    );
  }
}
