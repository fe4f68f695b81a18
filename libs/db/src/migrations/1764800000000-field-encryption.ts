import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Field encryption (issue 6): RESTRICTED fields are stored as `enc:v1:<keyId>:…` (AES-256-GCM) in their
 * own columns. An encrypted account also gets a blind index (`account_bidx`, HMAC) so the AML windows
 * can still group an account's transactions; the AML look-back index moves to that grouping key.
 * Key rotations re-encrypt in batches with their progress here, so they resume after a crash.
 */
export class FieldEncryption1764800000000 implements MigrationInterface {
  name = 'FieldEncryption1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transactions ADD COLUMN account_bidx text`);
    await q.query(`DROP INDEX transactions_account_time_idx`);
    await q.query(
      `CREATE INDEX transactions_account_key_time_idx ON transactions ((coalesce(account_bidx, account)), booked_at)`,
    );
    await q.query(`
      CREATE TABLE key_rotations (
        id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        to_key_id        text NOT NULL,
        status           text NOT NULL DEFAULT 'RUNNING' CHECK (status IN ('RUNNING','DONE','FAILED')),
        tx_cursor        bigint NOT NULL DEFAULT 0,
        dlq_cursor       bigint NOT NULL DEFAULT 0,
        values_reencrypted bigint NOT NULL DEFAULT 0,
        requested_by     text NOT NULL,
        started_at       timestamptz NOT NULL DEFAULT now(),
        finished_at      timestamptz,
        error            text
      )`);
    await q.query(`CREATE UNIQUE INDEX key_rotations_one_running ON key_rotations ((true)) WHERE status = 'RUNNING'`);
    await q.query(`GRANT SELECT, INSERT, UPDATE ON key_rotations TO strongroom_runtime`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE key_rotations`);
    await q.query(`DROP INDEX transactions_account_key_time_idx`);
    await q.query(`CREATE INDEX transactions_account_time_idx ON transactions (account, booked_at)`);
    await q.query(`ALTER TABLE transactions DROP COLUMN account_bidx`);
  }
}
