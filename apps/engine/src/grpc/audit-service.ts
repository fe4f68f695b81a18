import { type UntypedHandleCall } from '@grpc/grpc-js';
import {
  appendAudit,
  canonicalJson,
  exportCheckpoint,
  listCheckpoints,
  parseExportedCheckpoint,
  entryHashPrefixes,
  type ExportedCheckpoint,
  verifyChain,
  type Checkpoint,
  type SigningKey,
} from '@strongroom/audit';
import { type AuditServiceServer } from '@strongroom/contract';
import { type DataSource, sqlExec } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { type Logger } from '@strongroom/logging';
import { type Breaker } from '@strongroom/resilience';
import { type KeyProvider } from '@strongroom/compliance';
import { isUuid, verifyRun } from '@strongroom/pipeline';
import { type Checkpointer } from '../audit/checkpointer';
import { type CallScope, unary } from './call-scope';

export interface AuditDeps {
  ds: DataSource;
  key: SigningKey;
  checkpointer: Checkpointer;
  logger: Logger;
  db?: Breaker;
  /** Decrypts RESTRICTED fields when a run is verified. */
  fieldKeys?: KeyProvider;
  /** Told the outcome of every verification of the chain (metrics). */
  onVerified?: (ok: boolean) => void;
}

const toWire = (c: Checkpoint) => ({
  seq: c.seq,
  hash: c.hash,
  signedAt: c.signedAt,
  keyId: c.keyId,
  signature: c.signature,
});

/** AuditService: entries, verification (genesis, incremental, exported checkpoint), checkpoints, VerifyRun. */
export function auditServiceHandlers(deps: AuditDeps): AuditServiceServer & Record<string, UntypedHandleCall> {
  const { ds, key } = deps;
  const scope: CallScope = { logger: deps.logger, ...(deps.db ? { db: deps.db } : {}) };
  const exec = sqlExec(ds);
  return {
    listEntries: unary(scope, 'ListEntries', async (req) => {
      const size = req.pageSize || 100;
      if (size < 1 || size > 1000)
        throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'page_size must be between 1 and 1000');
      // chain order pages on with s<seq> (entries after it), newest first with b<seq> (entries before it)
      let from: number | undefined;
      if (req.pageToken) {
        const m = /^([sb])(\d{1,18})$/.exec(req.pageToken);
        if (!m || (m[1] === 'b') !== req.newestFirst)
          throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'page_token is not a token returned by this API');
        from = Number(m[2]);
      }
      const rows: Record<string, unknown>[] = await ds.query(
        `SELECT l.seq::text AS seq, l.occurred_at, l.actor, l.action, l.subject, l.details, l.prev_hash, l.hash FROM immutable_audit_log l
          WHERE ${req.newestFirst ? 'l.seq < $1' : 'l.seq > $1'} AND ($2 = '' OR l.action = $2)
          ORDER BY l.seq ${req.newestFirst ? 'DESC' : 'ASC'} LIMIT $3`,
        [from ?? (req.newestFirst ? Number.MAX_SAFE_INTEGER : 0), req.action, size + 1],
      );
      const page = rows.slice(0, size);
      return {
        entries: page.map((r) => ({
          seq: Number(r.seq),
          occurredAt: r.occurred_at as Date,
          actor: String(r.actor),
          action: String(r.action),
          subjectJson: canonicalJson(r.subject),
          detailsJson: canonicalJson(r.details),
          prevHash: String(r.prev_hash),
          hash: String(r.hash),
        })),
        nextPageToken: rows.length > size ? `${req.newestFirst ? 'b' : 's'}${String(page[page.length - 1]?.seq)}` : '',
      };
    }),
    verify: unary(scope, 'Verify', async (req, log, actor) => {
      const stored = await listCheckpoints(exec);
      const checkpoints = [...stored];
      let exported: ExportedCheckpoint | undefined;
      if (req.checkpointJson) {
        try {
          exported = parseExportedCheckpoint(req.checkpointJson);
        } catch (err) {
          throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, (err as Error).message);
        }
        checkpoints.push(exported);
      }
      const from = req.incremental ? stored[stored.length - 1] : undefined;
      const recorded = exported?.entryHashes
        ? { ...exported.entryHashes, seq: exported.seq, hash: exported.hash }
        : undefined;
      const r = await verifyChain(exec, {
        checkpoints,
        publicKey: key.publicKey,
        ...(from ? { from } : {}),
        ...(recorded ? { recorded } : {}),
      });
      log.info(
        r.ok ? 'audit:verified' : 'audit:verification-failed',
        r.ok ? { entries: r.entries } : { firstBadSeq: r.firstBadSeq, kind: r.kind },
      );
      deps.onVerified?.(r.ok);
      // the verification is itself evidence (who checked the chain, when, and what they found): recorded
      // in the chain, where the console and GetChainStatus find the latest one. A verdict is never lost to
      // a failed write: it is answered (and logged) all the same
      await ds
        .transaction((em) =>
          appendAudit(sqlExec(em), {
            actor,
            action: r.ok ? 'audit:verified' : 'audit:verification_failed',
            subject: { chain: 'immutable_audit_log' },
            details: r.ok
              ? { entries: r.entries, lastSeq: r.lastSeq, trustedThroughSeq: from?.seq ?? 0, exported: !!exported }
              : { entries: r.entries, firstBadSeq: r.firstBadSeq, kind: r.kind, trustedThroughSeq: from?.seq ?? 0 },
          }),
        )
        .catch((err: unknown) => log.error('audit:verification-not-recorded', { ok: r.ok, error: String(err) }));
      return r.ok
        ? {
            ok: true,
            entries: r.entries,
            firstBadSeq: 0,
            kind: '',
            message: from
              ? `${r.entries} entries verified after the signed checkpoint at seq ${from.seq}; entries 1–${from.seq} were not checked again (trusted by that checkpoint's signature; verify without --incremental to check them)`
              : `${r.entries} entries verified`,
            lastSeq: r.lastSeq,
            lastHash: r.lastHash,
            checkpointsChecked: r.checkpointsChecked,
            trustedThroughSeq: from?.seq ?? 0,
          }
        : {
            ok: false,
            entries: r.entries,
            firstBadSeq: r.firstBadSeq,
            kind: r.kind,
            message: r.message,
            lastSeq: 0,
            lastHash: '',
            checkpointsChecked: r.checkpointsChecked,
            trustedThroughSeq: from?.seq ?? 0,
          };
    }),
    createCheckpoint: unary(scope, 'CreateCheckpoint', async () => {
      const cp = await deps.checkpointer.checkpointNow();
      return { checkpoint: cp ? toWire(cp) : undefined };
    }),
    exportCheckpoints: unary(scope, 'ExportCheckpoints', async (req) => {
      const all = await listCheckpoints(exec);
      const chosen = req.latestOnly ? all.slice(-1) : all;
      const last = chosen[chosen.length - 1];
      // the latest also records every entry's hash up to it: a later rewrite is then named where it starts
      const prefixes = last ? await entryHashPrefixes(exec, 1, last.seq) : '';
      return {
        checkpointsJson: chosen.map((c) =>
          JSON.stringify(exportCheckpoint(c, key, c === last ? { fromSeq: 1, prefixes } : undefined), null, 2),
        ),
      };
    }),
    getChainStatus: unary(scope, 'GetChainStatus', async () => {
      // one snapshot: the head, the checkpoint and the verification as of the same moment
      const { head, last, verified } = await ds.transaction('REPEATABLE READ', async (em) => {
        const [h] = (await em.query(
          'SELECT l.seq::text AS seq, l.hash, l.occurred_at FROM immutable_audit_log l ORDER BY l.seq DESC LIMIT 1',
        )) as { seq: string; hash: string; occurred_at: Date }[];
        const checkpoints = await listCheckpoints(sqlExec(em));
        const [v] = (await em.query(
          `SELECT l.occurred_at, l.actor, l.action, l.details FROM immutable_audit_log l
            WHERE l.action IN ('audit:verified', 'audit:verification_failed') ORDER BY l.seq DESC LIMIT 1`,
        )) as { occurred_at: Date; actor: string; action: string; details: Record<string, unknown> }[];
        return { head: h, last: checkpoints[checkpoints.length - 1], verified: v };
      });
      const n = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0));
      return {
        entries: head ? Number(head.seq) : 0,
        headHash: head?.hash ?? '',
        headAt: head?.occurred_at,
        lastCheckpoint: last ? toWire(last) : undefined,
        lastVerification: verified
          ? {
              verifiedAt: verified.occurred_at,
              actor: verified.actor,
              ok: verified.action === 'audit:verified',
              entries: n(verified.details['entries']),
              trustedThroughSeq: n(verified.details['trustedThroughSeq']),
              firstBadSeq: n(verified.details['firstBadSeq']),
              kind: typeof verified.details['kind'] === 'string' ? verified.details['kind'] : '',
            }
          : undefined,
      };
    }),
    verifyRun: unary(scope, 'VerifyRun', async (req) => {
      if (!isUuid(req.runId)) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'run_id is not a run id');
      const r = await verifyRun(ds, req.runId, deps.fieldKeys);
      return {
        ok: r.ok,
        batchesChecked: r.batchesChecked,
        rowsChecked: r.rowsChecked,
        firstBadBatch: r.firstBadBatch,
        message: r.message,
      };
    }),
  };
}
