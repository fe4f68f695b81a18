import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { workerBootstrap } from '@strongroom/config';
import { type JobRunEntity } from '@strongroom/db';
import { type Logger } from '@strongroom/logging';
import { type RunControl, type RunRequest } from '@strongroom/pipeline';
import { type BreakerStatus, type BreakerTransition } from '@strongroom/resilience';
import { type EngineConfig } from '../config';

/** What a run thread starts with. */
export interface RunThreadData {
  config: EngineConfig;
  /** The runtime login's URL (the engine's own). */
  databaseUrl: string;
  /** Connections of the thread's pool: its partition's batch session, lease renewals and lookups. */
  poolSize: number;
  threadNo: number;
  /** The owner of the thread's partition leases: the engine's replica id with "/t<n>". */
  replicaId: string;
}

export type ToRunThread =
  | { type: 'run'; runId: string }
  | { type: 'control'; runId: string; request: RunRequest; by?: string; reason?: string }
  | { type: 'close' };

export type FromRunThread =
  | { type: 'ready'; breakers: BreakerStatus[] }
  | { type: 'failed'; message: string }
  | { type: 'progress'; runId: string; run: JobRunEntity }
  | { type: 'batch'; job: string; ms: number }
  | { type: 'breaker'; transition: BreakerTransition }
  | { type: 'done'; runId: string; status?: string; interrupted?: string; error?: string }
  | { type: 'closed' };

/** How a thread's help with a run ended. */
export interface HelpOutcome {
  thread: number;
  /** The run's status as the thread left it. */
  status?: string;
  /** A dependency outage stopped the thread's part: the run resumes by itself, as after the engine's own. */
  interrupted?: string;
  /** The thread could not work on the run at all (it could not be read, or the thread died). */
  error?: string;
}

interface Thread {
  no: number;
  /** Its breakers by their listed name (`<breaker>/t<n>`), kept up to date from its transitions. */
  breakers: Map<string, BreakerStatus>;
  worker: Worker;
  /** The run it works on now. */
  runId?: string;
  done?: (o: HelpOutcome) => void;
  onProgress?: (run: JobRunEntity) => void;
  dead?: boolean;
}

/** Ends a thread's help with its run: the thread is idle again, and whoever waits for it hears how it ended. */
function settle(t: Thread, outcome: HelpOutcome): void {
  const done = t.done;
  delete t.runId;
  delete t.done;
  delete t.onProgress;
  done?.(outcome);
}

/** Connections per run thread: the batch session, a lease renewal and a lookup at once. */
const THREAD_POOL_SIZE = 3;

/**
 * The engine's run threads (ENGINE_RUN_THREADS): each is an in-process replica (run-thread.ts) that the
 * scheduler sends a file run to once the run is RUNNING. The thread claims the run's open partitions under
 * its own leases, as a replica does, so partitions are loaded on several cores at once and everything that
 * makes replicas safe (leases, fencing epochs, the last partition's finalization) holds for threads too.
 * A thread that dies takes only its leases with it; another thread or replica takes them over after the TTL.
 */
export class RunThreads {
  private constructor(
    private readonly threads: Thread[],
    private readonly logger: Logger,
    private readonly state: { closing: boolean },
  ) {}

  /**
   * Starts `count` threads and waits until each has its database pool and keys; a thread that cannot start
   * is logged and left out (the engine works without it).
   */
  static async start(
    count: number,
    base: { config: EngineConfig; databaseUrl: string },
    logger: Logger,
    hooks: { onBatchCommitted: (job: string, ms: number) => void; onBreaker: (t: BreakerTransition) => void },
  ): Promise<RunThreads> {
    const state = { closing: false };
    const boot = workerBootstrap(path.join(__dirname, `run-thread${path.extname(__filename)}`));
    const started = await Promise.all(
      Array.from({ length: count }, (_, i) => {
        const no = i + 1;
        const data: RunThreadData = {
          ...base,
          poolSize: THREAD_POOL_SIZE,
          threadNo: no,
          replicaId: `${base.config.replicaId}/t${no}`,
        };
        const worker = new Worker(boot, { eval: true, workerData: data });
        const t: Thread = { no, worker, breakers: new Map() };
        return new Promise<Thread | undefined>((resolve) => {
          worker.on('message', (m: FromRunThread) => {
            if (m.type === 'ready') {
              for (const b of m.breakers)
                t.breakers.set(`${b.name}/t${no}`, { name: `${b.name}/t${no}`, state: b.state });
              resolve(t);
            } else if (m.type === 'failed') {
              logger.error('run-thread:start-failed', { thread: no, error: m.message });
              t.dead = true;
              void worker.terminate();
              resolve(undefined);
            } else if (m.type === 'progress') {
              if (t.runId === m.runId) t.onProgress?.(m.run);
            } else if (m.type === 'batch') hooks.onBatchCommitted(m.job, m.ms);
            else if (m.type === 'breaker') {
              // the thread's own breakers, journaled (table, audit, log) and listed under their name and the thread's
              const transition = { ...m.transition, name: `${m.transition.name}/t${no}` };
              t.breakers.set(transition.name, {
                name: transition.name,
                state: transition.to,
                lastTransition: transition,
              });
              hooks.onBreaker(transition);
            } else if (m.type === 'done') {
              if (t.runId !== m.runId) return;
              settle(t, {
                thread: no,
                ...(m.status ? { status: m.status } : {}),
                ...(m.interrupted ? { interrupted: m.interrupted } : {}),
                ...(m.error ? { error: m.error } : {}),
              });
            }
          });
          // a thread that ends settles the run it worked on (its partition's lease runs out; another thread
          // or replica takes it over): the scheduler never waits for a thread that is gone
          const died = (why: string) => {
            if (t.dead) return;
            t.dead = true;
            if (!state.closing) logger.error('run-thread:died', { thread: no, error: why, runId: t.runId });
            settle(t, {
              thread: no,
              error: `run thread ${no} ${state.closing ? 'ended by the engine stop' : `died: ${why}`}`,
            });
            resolve(undefined);
          };
          worker.on('error', (err) => died(String(err?.stack ?? err)));
          worker.on('exit', (code) => died(`exited with code ${code}`));
        });
      }),
    );
    const threads = started.filter((t): t is Thread => t !== undefined);
    logger.info('run-threads:started', { threads: threads.length });
    return new RunThreads(threads, logger, state);
  }

  /**
   * The breakers of the threads alive (each thread has its own database, file source and screening
   * breakers), named `<breaker>/t<n>`: listed by ListBreakers and the breaker metric beside the main thread's.
   */
  breakers(): BreakerStatus[] {
    return this.threads.filter((t) => !t.dead).flatMap((t) => [...t.breakers.values()]);
  }

  /** Threads alive. */
  get size(): number {
    return this.threads.filter((t) => !t.dead).length;
  }

  /**
   * Sends the run to every idle thread; each follows `control` (pause, cancel, shutdown) and reports its
   * progress snapshots. Resolves, per thread, when its part is over: nothing left to claim, stopped, or failed.
   */
  help(runId: string, control: RunControl, onProgress: (run: JobRunEntity) => void): Promise<HelpOutcome>[] {
    const idle = this.threads.filter((t) => !t.dead && t.runId === undefined);
    // a pause reaches the threads as a release: they give their partitions back and leave the status to the
    // engine's executor (or its scheduler), so a thread that stops late cannot pause a run resumed meanwhile
    const forward = (t: Thread, request: RunRequest, by?: string, reason?: string) => {
      if (t.runId !== runId) return;
      const m: ToRunThread = {
        type: 'control',
        runId,
        request: request === 'pause' ? 'release' : request,
        ...(by !== undefined ? { by } : {}),
        ...(reason !== undefined ? { reason } : {}),
      };
      t.worker.postMessage(m);
    };
    const outcomes = idle.map(
      (t) =>
        new Promise<HelpOutcome>((resolve) => {
          t.runId = runId;
          t.done = resolve;
          t.onProgress = onProgress;
          t.worker.postMessage({ type: 'run', runId } satisfies ToRunThread);
          // a request taken before the thread got the run goes with it
          if (control.requested !== 'run') forward(t, control.requested, control.requestedBy, control.reason);
        }),
    );
    if (idle.length) control.onRequest((request, by, reason) => idle.forEach((t) => forward(t, request, by, reason)));
    return outcomes;
  }

  /**
   * Ends the threads, closing their pools: after the scheduler's shutdown, whose stop request reached them
   * (a thread still in a batch after its grace period is ended with it: the batch rolls back and its
   * partition's lease runs out). Whatever a thread was still helping with is settled as ended.
   */
  async close(): Promise<void> {
    this.state.closing = true;
    await Promise.all(
      this.threads.map(async (t) => {
        if (t.dead) return;
        const closed = new Promise<void>((resolve) => {
          t.worker.on('message', (m: FromRunThread) => m.type === 'closed' && resolve());
          t.worker.on('exit', () => resolve());
          setTimeout(resolve, 5000).unref();
        });
        t.worker.postMessage({ type: 'close' } satisfies ToRunThread);
        await closed;
        await t.worker.terminate().catch(() => undefined); // its exit settles what it was helping with
      }),
    );
    this.logger.info('run-threads:stopped', {});
  }
}
