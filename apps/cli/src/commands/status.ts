import { RunStatus, type Run } from '@strongroom/contract';
import { type CliConfig } from '../config';
import { EngineClient, isTransient, engineTarget } from '../engine-client';
import { isTerminal } from '../summary';
import { printSummary } from './run';
import { fail, UsageError } from '../cli-errors';

/**
 * `strongroom status <runId> [--wait] [--json]`: the run summary; --wait blocks until the run ends,
 * reconnecting with backoff while the engine restarts. Exit 0 only when the run SUCCEEDED.
 */
export async function statusCommand(
  config: CliConfig,
  runId: string | undefined,
  opts: { wait: boolean; json: boolean },
): Promise<number> {
  if (!runId) {
    throw new UsageError('strongroom status <runId> [--wait] [--json]');
  }
  const client = new EngineClient(engineTarget(config), config.deadlineMs);
  try {
    let run = (await withReconnect(() => client.call('getRun', { runId }), opts.wait)).run as Run;
    while (opts.wait && !isTerminal(run)) {
      const current = run;
      run = await withReconnect(() => client.watch(current.id, () => undefined), true);
    }
    printSummary(run, opts.json);
    return run.status === RunStatus.RUN_STATUS_SUCCEEDED ? 0 : 1;
  } catch (err) {
    return fail(err, opts.json);
  } finally {
    client.close();
  }
}

/** Retries transient failures (engine restarting) with capped backoff when `persist` is set. */
async function withReconnect<T>(fn: () => Promise<T>, persist: boolean): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!persist || !isTransient(err)) throw err;
      if (attempt === 0) process.stderr.write('engine unreachable; reconnecting…\n');
      await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))));
    }
  }
}
