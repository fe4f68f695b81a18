import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Identifiers tokenized (issue 17, item 1): a run counts the identifiers (txn_id, account,
 * counterparty_account) it stored as card tokens, so that changing a business key is never silent.
 */
export class IdentifiersTokenized1765300000000 implements MigrationInterface {
  name = 'IdentifiersTokenized1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE job_runs ADD COLUMN identifiers_tokenized bigint NOT NULL DEFAULT 0`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE job_runs DROP COLUMN identifiers_tokenized`);
  }
}
