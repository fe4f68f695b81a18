// A run thread (ENGINE_RUN_THREADS): a worker thread of the engine that works on file runs' partitions the way
// another replica would — its own database pool, breakers, card-number key, key ring and screening, its own
// partition leases (its replica id is the engine's with "/t<n>") — so a run's partitions are parsed,
// validated, rendered and committed on several cores at once. The engine's scheduler sends it runs to help
// with and forwards their pause, cancel and shutdown requests; the thread sends back progress, batch commit
// times and breaker transitions.
import { parentPort, workerData } from 'node:worker_threads';
import { createPanProtector } from '@strongroom/compliance';
import { coerceError } from '@strongroom/errors';
import { createLogger } from '@strongroom/logging';
import { executeRun, getJob, getRun, RunControl, type RunContext } from '@strongroom/pipeline';
import { BreakerRegistry, FILE_SOURCE_POLICY, POSTGRES_POLICY, SCREENING_POLICY } from '@strongroom/resilience';
import { FileKeyRing } from '../compliance/field-keys';
import { followScreening } from '../compliance/screening';
import { crashHook } from '../crash-hook';
import { loadPanKey } from '../pan-key';
import { runtimeDataSource } from '../runtime-data-source';
import { type FromRunThread, type RunThreadData, type ToRunThread } from './run-threads';

if (!parentPort) throw new Error('run-thread.ts runs as a worker thread');
const port = parentPort;
const data = workerData as RunThreadData;
const post = (m: FromRunThread) => port.postMessage(m);

async function start(): Promise<void> {
  const { config } = data;
  const logger = createLogger({
    service: 'engine',
    level: config.logLevel,
    format: config.logFormat,
    stderr: true,
  }).child({ thread: data.threadNo });
  const ds = runtimeDataSource(config, data.databaseUrl, data.poolSize);
  await ds.initialize();
  const breakers = new BreakerRegistry();
  breakers.onTransition((t) => post({ type: 'breaker', transition: t }));
  const ctx: RunContext = {
    ds,
    logger,
    pan: createPanProtector(loadPanKey(config.panKeyFile, logger)),
    actor: 'service:engine',
    db: breakers.get(POSTGRES_POLICY),
    source: breakers.get(FILE_SOURCE_POLICY),
    screening: await followScreening(config.screeningThreshold, breakers.get(SCREENING_POLICY), ds, logger),
    fieldKeys: new FileKeyRing(config.fieldKeysFile, logger),
    sourceRoots: config.sourceRoots,
    replicaId: data.replicaId,
    leaseTtlMs: config.leaseTtlMs,
    partitionBytes: config.partitionBytes,
    onBatchCommitted: (job, ms) => post({ type: 'batch', job, ms }),
    ...crashHook(config, 'thread'),
  };
  const controls = new Map<string, RunControl>();

  const help = async (runId: string): Promise<void> => {
    const control = new RunControl();
    controls.set(runId, control);
    try {
      const run = await getRun(ds, runId);
      // a thread helps a run its engine has started; it never plans one (the file would be read twice)
      if (run.status !== 'RUNNING') return post({ type: 'done', runId });
      const job = await getJob(ds, run.jobId, run.jobVersion);
      // the sanctions lists in force now (loaded by `sanctions load` on any replica since this thread's last run)
      await ctx.screening?.refresh?.();
      const after = await executeRun(ctx, run, job, control, (r) => post({ type: 'progress', runId, run: { ...r } }));
      post({
        type: 'done',
        runId,
        status: after.status,
        ...(control.interrupted ? { interrupted: control.interrupted } : {}),
      });
    } catch (err) {
      // executeRun records what it can; what escapes it (the run or job could not be read) goes to the engine
      const e = coerceError(err);
      logger.warn('run-thread:help-failed', { runId, errorCode: e.code, message: e.message });
      post({ type: 'done', runId, error: e.message, ...(e.retryable ? { interrupted: e.message } : {}) });
    } finally {
      controls.delete(runId);
    }
  };

  port.on('message', (m: ToRunThread) => {
    if (m.type === 'run') void help(m.runId);
    else if (m.type === 'control') controls.get(m.runId)?.request(m.request, m.by, m.reason);
    else if (m.type === 'close') {
      void (async () => {
        breakers.shutdown();
        await ds.destroy().catch(() => undefined);
        post({ type: 'closed' });
      })();
    }
  });
  post({ type: 'ready', breakers: breakers.list() });
}

start().catch((err) => post({ type: 'failed', message: String((err as Error)?.message ?? err) }));
