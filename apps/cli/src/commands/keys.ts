import {
  createComplianceServiceClient,
  type GetKeyRotationResponse,
  type KeyRotation,
  type RotateFieldKeysResponse,
} from '@strongroom/contract';
import { type CliConfig } from '../config';
import { fail, UsageError } from '../cli-errors';
import { engineTarget, unaryCaller } from '../engine-client';

const view = (r: KeyRotation | undefined) =>
  r && {
    id: r.id,
    toKeyId: r.toKeyId,
    status: r.status,
    valuesReencrypted: r.valuesReencrypted,
    requestedBy: r.requestedBy,
    startedAt: r.startedAt?.toISOString(),
    finishedAt: r.finishedAt?.toISOString(),
    error: r.error,
  };

/**
 * `strongroom rotate-keys [--wait] [--json]`: a new field-encryption key becomes current and every
 * RESTRICTED value is re-encrypted under it in the background; `--wait` follows it to the end.
 * `strongroom rotate-keys status [<id>]` shows a rotation. Exit 1 when a rotation FAILED.
 */
export async function keysCommand(
  config: CliConfig,
  sub: string | undefined,
  args: string[],
  opts: { json: boolean; wait: boolean },
): Promise<number> {
  const client = createComplianceServiceClient(engineTarget(config));
  const call = unaryCaller(client, config.deadlineMs);
  const get = (id: string) => call<GetKeyRotationResponse>('getKeyRotation', { id });
  try {
    let rotation: KeyRotation | undefined;
    if (sub === 'status') {
      rotation = (await get(args[0] ?? '')).rotation;
    } else if (sub === undefined) {
      rotation = (await call<RotateFieldKeysResponse>('rotateFieldKeys', {})).rotation;
      if (!opts.json) process.stderr.write(`rotation ${rotation?.id} started: new key ${rotation?.toKeyId}\n`);
    } else {
      throw new UsageError('strongroom rotate-keys [--wait] [--json] | strongroom rotate-keys status [<id>]');
    }
    while (opts.wait && rotation?.status === 'RUNNING') {
      await new Promise((r) => setTimeout(r, 500));
      rotation = (await get(rotation.id)).rotation;
      if (!opts.json && rotation) process.stderr.write(`\r${rotation.valuesReencrypted} values re-encrypted…`);
    }
    const v = view(rotation);
    process.stdout.write(
      opts.json
        ? `${JSON.stringify({ rotation: v })}\n`
        : `${opts.wait ? '\n' : ''}rotation ${v?.id} to ${v?.toKeyId}: ${v?.status}, ${v?.valuesReencrypted} values re-encrypted${v?.error ? ` (${v.error})` : ''}\n`,
    );
    return rotation?.status === 'FAILED' ? 1 : 0;
  } catch (err) {
    return fail(err, opts.json);
  } finally {
    client.close();
  }
}
