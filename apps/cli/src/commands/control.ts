import { RunStatus, type Run } from '@strongroom/contract';
import { type CliConfig } from '../config';
import { EngineClient, engineTarget } from '../engine-client';
import { printSummary } from './run';
import { isTerminal } from '../summary';
import { fail, UsageError } from '../cli-errors';

/**
 * `strongroom pause|resume|cancel <runId> [--reason TEXT] [--json]`: operator actions on a run (the reason is
 * audited with them); prints its summary.
 */
export async function controlCommand(
  config: CliConfig,
  action: 'pause' | 'resume' | 'cancel',
  runId: string | undefined,
  json: boolean,
  reason?: string,
): Promise<number> {
  if (!runId) {
    throw new UsageError(`strongroom ${action} <runId> [--reason TEXT] [--json]`);
  }
  const client = new EngineClient(engineTarget(config), config.deadlineMs);
  try {
    const method = action === 'pause' ? 'pauseRun' : action === 'resume' ? 'resumeRun' : 'cancelRun';
    const r = await client.call(method, { runId, reason: reason ?? '' });
    // a pause or resume takes effect between batches: print the state it led to, not the one before it
    const run = r.run && action !== 'cancel' ? await settled(client, r.run, action) : r.run;
    if (run) printSummary(run, json);
    return 0;
  } catch (err) {
    return fail(err, json);
  } finally {
    client.close();
  }
}

/** The run once the pause or resume has taken effect (or ended), waiting at most `ms`. */
async function settled(client: EngineClient, run: Run, action: 'pause' | 'resume', ms = 15_000): Promise<Run> {
  const done = (r: Run) =>
    isTerminal(r) ||
    (action === 'pause' ? r.status === RunStatus.RUN_STATUS_PAUSED : r.status !== RunStatus.RUN_STATUS_PAUSED);
  const until = Date.now() + ms;
  let current = run;
  while (!done(current) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    current = (await client.call('getRun', { runId: run.id })).run ?? current;
  }
  return current;
}
