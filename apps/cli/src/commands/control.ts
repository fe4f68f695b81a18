import { type CancelRunResponse } from '@strongroom/contract';
import { type CliConfig } from '../config';
import { EngineClient, engineTarget } from '../engine-client';
import { fail, printSummary } from './run';

/** `strongroom pause|resume|cancel <runId> [--json]`: operator actions on a run; prints its summary. */
export async function controlCommand(config: CliConfig, action: 'pause' | 'resume' | 'cancel', runId: string | undefined, json: boolean): Promise<number> {
  if (!runId) {
    process.stderr.write(`usage: strongroom ${action} <runId> [--json]\n`);
    return 2;
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
