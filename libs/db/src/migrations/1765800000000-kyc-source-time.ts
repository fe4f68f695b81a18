import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Which KYC file a register row comes from, by time: when the file was submitted (a KYC job's run) or
 * loaded (`kyc load`). A row is only ever replaced by a file at least as recent, so an older file applied
 * later — runs of one job are not serialized, a run may be paused for days — never undoes a newer one.
 */
export class KycSourceTime1765800000000 implements MigrationInterface {
  name = 'KycSourceTime1765800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE kyc_customers ADD COLUMN source_at timestamptz`);
    // rows loaded before: their file is as recent as their last update
    await q.query(`UPDATE kyc_customers SET source_at = updated_at`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE kyc_customers DROP COLUMN source_at`);
  }
}
