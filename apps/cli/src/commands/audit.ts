import fs from 'node:fs';
import {
  createAuditServiceClient,
  type ExportCheckpointsResponse,
  type VerifyResponse,
  type VerifyRunResponse,
} from '@strongroom/contract';
import { type CliConfig } from '../config';
import { fail, UsageError } from '../cli-errors';
import { engineTarget, unaryCaller } from '../engine-client';

type Method = 'verify' | 'exportCheckpoints' | 'verifyRun' | 'createCheckpoint';

function client(config: CliConfig) {
  const c = createAuditServiceClient(engineTarget(config));
  // verification reads the whole chain: allow it minutes, not the default call deadline
  const call: <Res>(method: Method, req: object, ms?: number) => Promise<Res> = unaryCaller(
    c,
    Math.max(config.deadlineMs, 600_000),
  );
  return { call, close: () => c.close() };
}

/**
 * `strongroom audit verify [--checkpoint FILE] [--incremental] [--json]`: exit 0 only when the chain
 * verifies (for cron). `strongroom audit export-checkpoint [--json]`: signs the current head and
 * prints it as a JSON document to keep outside the system.
 */
export async function auditCommand(
  config: CliConfig,
  sub: string | undefined,
  opts: { json: boolean; checkpoint?: string; incremental: boolean },
): Promise<number> {
  const c = client(config);
  try {
    if (sub === 'verify') {
      const checkpointJson = opts.checkpoint ? fs.readFileSync(opts.checkpoint, 'utf8') : '';
      const r = await c.call<VerifyResponse>('verify', { incremental: opts.incremental, checkpointJson });
      const summary = {
        ok: r.ok,
        entries: r.entries,
        firstBadSeq: r.ok ? null : r.firstBadSeq,
        kind: r.ok ? null : r.kind,
        message: r.message,
        lastSeq: r.lastSeq,
        lastHash: r.lastHash,
        checkpointsChecked: r.checkpointsChecked,
        trustedThroughSeq: Number(r.trustedThroughSeq) || null,
      };
      process.stdout.write(
        opts.json
          ? `${JSON.stringify(summary)}\n`
          : r.ok
            ? `audit chain OK: ${r.entries} entries verified, ${r.checkpointsChecked} signed checkpoints hold (head seq ${r.lastSeq})${
                Number(r.trustedThroughSeq)
                  ? `\n  not checked: entries 1–${r.trustedThroughSeq}, trusted by the signed checkpoint at seq ${r.trustedThroughSeq} (run without --incremental to check them)`
                  : ''
              }\n`
            : `audit chain TAMPERED: ${r.kind} at seq ${r.firstBadSeq} — ${r.message}\n`,
      );
      return r.ok ? 0 : 1;
    }
    if (sub === 'export-checkpoint') {
      await c.call('createCheckpoint', {}, config.deadlineMs);
      const r = await c.call<ExportCheckpointsResponse>('exportCheckpoints', { latestOnly: true }, config.deadlineMs);
      const doc = r.checkpointsJson[0];
      if (!doc) throw new Error('the audit chain is empty: nothing to checkpoint');
      process.stdout.write(opts.json ? `${JSON.stringify(JSON.parse(doc))}\n` : `${doc}\n`);
      return 0;
    }
    throw new UsageError(
      'strongroom audit verify [--checkpoint FILE] [--incremental] [--json] | strongroom audit export-checkpoint',
    );
  } catch (err) {
    return fail(err, opts.json);
  } finally {
    c.close();
  }
}

/** `strongroom verify-run <runId> [--json]`: recompute a finished run's batch digests from the sink. */
export async function verifyRunCommand(config: CliConfig, runId: string | undefined, json: boolean): Promise<number> {
  if (!runId) {
    throw new UsageError('strongroom verify-run <runId> [--json]');
  }
  const c = client(config);
  try {
    const r = await c.call<VerifyRunResponse>('verifyRun', { runId });
    const summary = {
      runId,
      ok: r.ok,
      batchesChecked: r.batchesChecked,
      rowsChecked: r.rowsChecked,
      firstBadBatch: r.ok ? null : r.firstBadBatch,
      message: r.message,
    };
    process.stdout.write(json ? `${JSON.stringify(summary)}\n` : `${r.ok ? 'run OK' : 'run TAMPERED'}: ${r.message}\n`);
    return r.ok ? 0 : 1;
  } catch (err) {
    return fail(err, json);
  } finally {
    c.close();
  }
}
