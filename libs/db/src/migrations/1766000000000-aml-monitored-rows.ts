import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The AML look-back index covers only the rows of AML-monitored jobs. The index on an account's
 * transactions by booking time serves the pattern rules (STRUCTURING, VELOCITY, RAPID_MOVEMENT), which read
 * an account's recent history; it was the most expensive index of the sink — measured at about a third of a
 * plain COPY's cost into it — and every job paid it, also one without AML. Each row now says whether its job
 * monitors AML (`aml_monitored`), the index is partial on it, and the rules read the history of monitored
 * rows. Rows loaded before this migration count as monitored (the column's default), as they did.
 */
export class AmlMonitoredRows1766000000000 implements MigrationInterface {
  name = 'AmlMonitoredRows1766000000000';

  async up(q: QueryRunner): Promise<void> {
    // a constant default: no table rewrite, every existing row monitored
    await q.query(`ALTER TABLE transactions ADD COLUMN aml_monitored boolean NOT NULL DEFAULT true`);
    await q.query(
      `CREATE INDEX transactions_aml_account_time_idx ON transactions ((coalesce(account_bidx, account)), booked_at) WHERE aml_monitored`,
    );
    await q.query(`DROP INDEX transactions_account_key_time_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX transactions_account_key_time_idx ON transactions ((coalesce(account_bidx, account)), booked_at)`,
    );
    await q.query(`DROP INDEX transactions_aml_account_time_idx`);
    await q.query(`ALTER TABLE transactions DROP COLUMN aml_monitored`);
  }
}
