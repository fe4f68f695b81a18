import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * The sink's identity hands each session its values a thousand at a time instead of one by one. Every row a batch
 * inserts takes one, and with a cache of one each of them locked the sequence and every 32nd wrote WAL. A session's
 * values still increase, so a batch's rows still lie between the value it takes before its inserts and the
 * session's current value after them (its integrity row's first_id … last_id); values a session does not use are
 * skipped, as they are when a transaction rolls back.
 */
export class SinkIdCache1766400000000 implements MigrationInterface {
  name = 'SinkIdCache1766400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transactions ALTER COLUMN id SET CACHE 1000`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transactions ALTER COLUMN id SET CACHE 1`);
  }
}
