import { type CancelRunResponse } from '@strongroom/contract';
import { type CliConfig } from '../config';
import { EngineClient, engineTarget } from '../engine-client';
import { printSummary } from './run';
import { fail, UsageError } from '../cli-errors';

/** `strongroom pause|resume|cancel <runId> [--json]`: operator actions on a run; prints its summary. */
export async function controlCommand(
  config: CliConfig,
  action: 'pause' | 'resume' | 'cancel',
  runId: string | undefined,
  json: boolean,
): Promise<number> {
  if (!runId) {
    throw new UsageError(`strongroom ${action} <runId> [--json]`);
  }
  const client = new EngineClient(engineTarget(config), config.deadlineMs);
  try {
    const method = action === 'pause' ? 'pauseRun' : action === 'resume' ? 'resumeRun' : 'cancelRun';
    const r = await client.call<object, CancelRunResponse>(method, { runId });
    if (r.run) printSummary(r.run, json);
    return 0;
  } catch (err) {
    return fail(err, json);
  } finally {
    client.close();
  }
}
