import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Schedules fire once per (job, instant) however many engine replicas look at the clock: the first to
 * insert the fire acts on it (starts the run, or records the day's file as missing), the others see the
 * row and do nothing. The row keeps what the fire did.
 */
export class ScheduleFires1765600000000 implements MigrationInterface {
  name = 'ScheduleFires1765600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE schedule_fires (
        job_id     uuid NOT NULL REFERENCES jobs(id),
        fire_at    timestamptz NOT NULL,
        outcome    text NOT NULL DEFAULT 'CLAIMED' CHECK (outcome IN ('CLAIMED','STARTED','ALREADY_LOADED','MISSED','FAILED')),
        run_id     uuid,
        detail     text,
        replica    text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, fire_at)
      )`);
    await q.query(`GRANT SELECT, INSERT, UPDATE ON schedule_fires TO strongroom_runtime`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE schedule_fires`);
  }
}
