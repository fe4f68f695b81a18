import { type DataSource, type QueryRunner } from '@strongroom/db';

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

/**
 * The run locks of all of an engine's ingest streams, held on ONE connection: a stream holds no
 * connection of its own between batches (a batch borrows one from the pool while it commits), so idle
 * streams cannot starve the pool. The locks still end with the engine (its session ends), and if this
 * connection breaks, the next lock opens a new one; a stream that lost its lock meanwhile is still fenced
 * at commit (a batch lands only on the run state it was prepared from).
 */
export class RunLockHolder {
  private runner: QueryRunner | undefined;
  private connecting: Promise<QueryRunner> | undefined;
  private readonly held = new Set<string>();
  private closed = false;

  constructor(private readonly ds: DataSource) {}

  private connection(): Promise<QueryRunner> {
    if (this.runner && !this.runner.isReleased) return Promise.resolve(this.runner);
    this.connecting ??= (async () => {
      const runner = this.ds.createQueryRunner();
      try {
        await runner.connect();
      } catch (err) {
        this.connecting = undefined;
        await runner.release().catch(() => undefined);
        throw err;
      }
      this.runner = runner;
      this.connecting = undefined;
      return runner;
    })();
    return this.connecting;
  }

  /** Takes `runId`'s lock; false when another session (stream or executor) holds it. */
  async tryLock(runId: string): Promise<boolean> {
    if (this.closed) return false;
    if (this.held.has(runId)) return false; // one stream per run in this engine too
    const runner = await this.connection();
    try {
      if (!(await tryLockRun(runner, runId))) return false;
    } catch (err) {
      // a broken lock connection: drop it (and with it every lock it held); the next call reconnects
      this.held.clear();
      this.runner = undefined;
      await runner.release().catch(() => undefined);
      throw err;
    }
    this.held.add(runId);
    return true;
  }

  async unlock(runId: string): Promise<void> {
    if (!this.held.delete(runId) || !this.runner) return;
    await unlockRun(this.runner, runId);
  }

  /** Releases every lock and the connection (engine shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    const runner = this.runner;
    this.runner = undefined;
    this.held.clear();
    if (runner) {
      await runner.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
      await runner.release().catch(() => undefined);
    }
  }
}
