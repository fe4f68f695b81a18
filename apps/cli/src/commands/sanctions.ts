import path from 'node:path';
import { createComplianceServiceClient, type LoadSanctionsListsResponse } from '@strongroom/contract';
import { type CliConfig } from '../config';
import { fail, UsageError } from '../cli-errors';
import { engineTarget, unaryCaller } from '../engine-client';

/**
 * `strongroom sanctions load FILE… --reason TEXT [--json]`: the engine screens every run that starts
 * afterwards against these lists (OFAC SDN/ALT CSV), without a restart; versioned and audited.
 */
export async function sanctionsCommand(
  config: CliConfig,
  sub: string | undefined,
  files: string[],
  opts: { json: boolean; reason?: string | undefined },
): Promise<number> {
  if (sub !== 'load' || !files.length || !opts.reason)
    throw new UsageError('strongroom sanctions load FILE… --reason TEXT [--json]');
  const client = createComplianceServiceClient(engineTarget(config));
  const call = unaryCaller(client, config.deadlineMs);
  try {
    const r = await call<LoadSanctionsListsResponse>('loadSanctionsLists', {
      files: files.map((f) => path.resolve(f)),
      reason: opts.reason,
    });
    if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else
      process.stdout.write(
        `sanctions lists loaded: ${r.names} names, version ${r.version.slice(0, 12)}… (was ${r.previousVersion ? `${r.previousVersion.slice(0, 12)}…` : 'none'}); runs that start now screen against them\n` +
          r.sources.map((s) => `  ${s.file}  ${s.format}  ${s.names} names, ${s.skipped} lines skipped\n`).join(''),
      );
    return 0;
  } catch (err) {
    return fail(err, opts.json);
  } finally {
    client.close();
  }
}
