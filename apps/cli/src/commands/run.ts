import fs from 'node:fs';
import path from 'node:path';
import { RunStatus, type Run } from '@strongroom/contract';
import { type CliConfig } from '../config';
import { EngineClient, engineTarget } from '../engine-client';
import { fail, UsageError } from '../cli-errors';
import { ProgressBar } from '../progress';
import { formatSummary, isTerminal, runSummary } from '../summary';

export interface RunOptions {
  follow: boolean;
  detach: boolean;
  json: boolean;
  /** Run the job on this file instead of its source path (the job keeps its version). */
  file?: string | undefined;
}

/**
 * `strongroom run <job.yaml> [--file PATH]`: submits the job file (relative paths resolve against its
 * directory), starts a run — of the job's source, or of PATH (relative to the current directory) with the
 * same job version — and — unless --detach — waits for the end, with a live progress bar under --follow.
 * Exit code 0 only when the run SUCCEEDED (or, with --detach, when it was accepted).
 */
export async function runCommand(config: CliConfig, jobFile: string | undefined, opts: RunOptions): Promise<number> {
  if (!jobFile) {
    throw new UsageError('strongroom run <job.yaml> [--file PATH] [--follow] [--detach] [--json]');
  }
  const file = path.resolve(jobFile);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`cannot read job file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
    return 2;
  }
  const client = new EngineClient(engineTarget(config), config.deadlineMs);
  try {
    const created = await client.call('createJob', {
      definition: text,
      baseDir: path.dirname(file),
    });
    const started = await client.call('runJob', {
      jobId: created.job?.id ?? '',
      file: opts.file ? path.resolve(opts.file) : '',
    });
    const run = started.run as Run;
    if (!opts.json) {
      process.stderr.write(
        `${created.created ? 'job saved' : 'job unchanged'}: ${created.job?.name} v${created.job?.version}; ` +
          `${started.existing ? `this file was already submitted — run ${run.id}` : `run ${run.id} started`}\n`,
      );
    }
    if (opts.detach) {
      if (opts.json) process.stdout.write(`${JSON.stringify({ ...runSummary(run), existing: started.existing })}\n`);
      else process.stdout.write(`${run.id}\n`);
      return 0;
    }
    const final = await followRun(client, run, opts.follow && !opts.json);
    printSummary(final, opts.json, started.existing);
    return final.status === RunStatus.RUN_STATUS_SUCCEEDED ? 0 : 1;
  } catch (err) {
    return fail(err, opts.json);
  } finally {
    client.close();
  }
}

/** Watches a run to its end, drawing the progress bar when asked. */
export async function followRun(client: EngineClient, run: Run, showProgress: boolean): Promise<Run> {
  if (isTerminal(run)) return run;
  const bar = showProgress ? new ProgressBar() : undefined;
  try {
    return await client.watch(run.id, (r) => bar?.update(r));
  } finally {
    bar?.done();
  }
}

export function printSummary(run: Run, json: boolean, existing = false): void {
  if (json) process.stdout.write(`${JSON.stringify({ ...runSummary(run), existing })}\n`);
  else process.stdout.write(`${formatSummary(run)}\n`);
}
