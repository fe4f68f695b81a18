import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Compliance in the load path (issue 6): AML and sanctions alerts with their lifecycle, KYC status per
 * account, and the index the AML rules' look-back windows need (account, booking time).
 *
 * An alert is deduplicated by (rule, dedupe_key): a per-transaction rule keys on the transaction's
 * business key, a pattern rule (structuring, velocity, rapid movement) on the account and the window it
 * fired in — so a resumed or replayed batch never raises the same alert twice.
 */
export class Compliance1764600000000 implements MigrationInterface {
  name = 'Compliance1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE compliance_alerts (
        id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        rule              text NOT NULL CHECK (rule IN ('SANCTIONS','LARGE_TRANSACTION','STRUCTURING','VELOCITY','ROUND_AMOUNT',
                                                        'HIGH_RISK_JURISDICTION','RAPID_MOVEMENT','KYC')),
        dedupe_key        text NOT NULL,
        score             integer NOT NULL CHECK (score BETWEEN 0 AND 100),
        status            text NOT NULL DEFAULT 'OPEN' CHECK (status IN ('OPEN','ESCALATED','CLOSED')),
        source_system     text NOT NULL,
        txn_id            text NOT NULL,
        account           text NOT NULL,
        booked_at         timestamptz NOT NULL,
        job_id            uuid NOT NULL REFERENCES jobs(id),
        run_id            uuid NOT NULL REFERENCES job_runs(id),
        evidence          jsonb NOT NULL,
        status_reason     text,
        status_changed_by text,
        created_at        timestamptz NOT NULL DEFAULT now(),
        updated_at        timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT compliance_alerts_dedupe UNIQUE (rule, dedupe_key),
        CONSTRAINT compliance_alerts_closed_has_reason CHECK (status <> 'CLOSED' OR status_reason IS NOT NULL)
      )`);
    await q.query(`CREATE INDEX compliance_alerts_status_idx ON compliance_alerts (status, created_at)`);
    await q.query(`CREATE INDEX compliance_alerts_run_idx ON compliance_alerts (run_id)`);
    await q.query(`CREATE INDEX compliance_alerts_account_idx ON compliance_alerts (account, created_at)`);
    // the AML look-back windows: an account's transactions around a booking time, across runs
    await q.query(`CREATE INDEX transactions_account_time_idx ON transactions (account, booked_at)`);

    await q.query(`
      CREATE TABLE kyc_customers (
        account     text PRIMARY KEY,
        customer_id text NOT NULL,
        status      text NOT NULL CHECK (status IN ('VERIFIED','PENDING','REJECTED')),
        expires_at  timestamptz,
        risk_level  text NOT NULL DEFAULT 'MEDIUM' CHECK (risk_level IN ('LOW','MEDIUM','HIGH','CRITICAL')),
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON compliance_alerts TO strongroom_runtime`);
    await q.query(`GRANT SELECT, INSERT, UPDATE ON kyc_customers TO strongroom_runtime`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE kyc_customers`);
    await q.query(`DROP TABLE compliance_alerts`);
    await q.query(`DROP INDEX transactions_account_time_idx`);
  }
}
