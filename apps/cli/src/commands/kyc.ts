import path from 'node:path';
import { createComplianceServiceClient, type LoadKycRecordsResponse } from '@strongroom/contract';
import { type CliConfig } from '../config';
import { fail, UsageError } from '../cli-errors';
import { engineTarget, unaryCaller } from '../engine-client';

/**
 * `strongroom kyc load FILE --reason TEXT [--json]`: KYC records (CSV: account, customer_id, status, and
 * optionally expires_at, risk_level) into the register runs check accounts against; every record loaded or
 * rejected with a reason, audited. Exit 0 when every record loaded, 1 when some were rejected.
 */
export async function kycCommand(
  config: CliConfig,
  sub: string | undefined,
  files: string[],
  opts: { json: boolean; reason?: string | undefined },
): Promise<number> {
  if (sub !== 'load' || files.length !== 1 || !opts.reason)
    throw new UsageError('strongroom kyc load FILE --reason TEXT [--json]');
  const client = createComplianceServiceClient(engineTarget(config));
  const call = unaryCaller(client, config.deadlineMs);
  try {
    const r = await call<LoadKycRecordsResponse>('loadKycRecords', {
      file: path.resolve(files[0] as string),
      reason: opts.reason,
    });
    if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else
      process.stdout.write(
        `KYC records: ${r.read} read, ${r.loaded} loaded, ${r.rejected} rejected\n` +
          r.rejections.map((x) => `  record ${x.recordNo}: ${x.reasonCode} ${x.message}\n`).join(''),
      );
    return r.rejected ? 1 : 0;
  } catch (err) {
    return fail(err, opts.json);
  } finally {
    client.close();
  }
}
