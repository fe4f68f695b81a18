import { type QueryRunner } from '@strongroom/db';

/**
 * The session-level advisory lock that makes one writer per run (a file run's executor, or a stream's
 * ingest session). PostgreSQL releases it when the holding session ends — also when an engine dies.
 */
const KEY = `hashtextextended('strongroom-run:' || $1, 0)`;

export async function tryLockRun(runner: QueryRunner, runId: string): Promise<boolean> {
  const [{ locked }] = (await runner.query(`SELECT pg_try_advisory_lock(${KEY}) AS locked`, [runId])) as [
    { locked: boolean },
  ];
  return locked;
}

/** Releases the lock (before the connection goes back to the pool, which would keep it held). */
export async function unlockRun(runner: QueryRunner, runId: string): Promise<void> {
  await runner.query(`SELECT pg_advisory_unlock(${KEY})`, [runId]).catch(() => undefined);
}
