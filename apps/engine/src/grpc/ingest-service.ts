import { once } from 'node:events';
import { type ServerDuplexStream, type UntypedHandleCall } from '@grpc/grpc-js';
import {
  type IngestBatch,
  type IngestRecord,
  type IngestRequest,
  type IngestResponse,
  type IngestServiceServer,
} from '@strongroom/contract';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { type Logger } from '@strongroom/logging';
import { IngestSession, type IngestRecordInput, type PreparedIngestBatch, type RunContext } from '@strongroom/pipeline';
import { streamScope } from './call-scope';
import { runToProto } from './mappers';
import { toServiceError } from './status-map';

/**
 * Messages of one stream waiting to be handled before reading pauses: one committing and the next two mapped,
 * which then commit together (IngestSession.commitGroup). A stream holds at most this many batches in memory.
 */
const MAX_QUEUED = 4;

/** A message waiting for its turn; `taken` once a batch before it committed it along (group commit). */
interface Queued {
  msg: IngestRequest;
  /** The batch mapped ahead of its turn (while another commits). */
  prepared: Promise<PreparedIngestBatch> | undefined;
  taken: boolean;
}

/** Wire record → canonical field names. */
function toCanonical(r: IngestRecord): IngestRecordInput {
  return {
    txn_id: r.txnId,
    account: r.account,
    counterparty_account: r.counterpartyAccount,
    counterparty_name: r.counterpartyName,
    amount: r.amount,
    currency: r.currency,
    booked_at: r.bookedAt,
    value_date: r.valueDate,
    reference: r.reference,
    card_pan: r.cardPan,
  };
}

/**
 * IngestService.Ingest: open → batch* → complete on one bidirectional stream. Messages are processed
 * one at a time: the next batch is read only after the previous one committed and its ack was written
 * (and the client read it), so a slow database or a slow client slows the stream, it does not grow memory.
 */
export interface IngestLimits {
  /** A stream that sends nothing for this long is ended with DEADLINE_EXCEEDED. */
  ingestIdleTimeoutMs: number;
  /** Open streams per caller (token subject). */
  ingestStreamsPerPrincipal: number;
  /** Open streams in all. */
  maxIngestStreams: number;
}

/**
 * Open streams, per caller and in all. A stream holds no database connection while idle (its run lock is
 * on the engine's shared lock connection), but each still costs memory and a run: they are capped.
 */
class StreamQuota {
  private readonly byActor = new Map<string, number>();
  private total = 0;
  constructor(private readonly limits: IngestLimits) {}

  /** Counts a stream of `actor` in, or throws RESOURCE_EXHAUSTED; the returned function counts it out (once). */
  admit(actor: string): () => void {
    const mine = this.byActor.get(actor) ?? 0;
    if (mine >= this.limits.ingestStreamsPerPrincipal)
      throw new StrongroomError(
        ErrorCode.RESOURCE_EXHAUSTED,
        `${actor} already has ${mine} open ingest streams (the limit is ${this.limits.ingestStreamsPerPrincipal}); complete or close one first`,
        { retryable: true },
      );
    if (this.total >= this.limits.maxIngestStreams)
      throw new StrongroomError(
        ErrorCode.RESOURCE_EXHAUSTED,
        `the engine has ${this.total} open ingest streams (the limit is ${this.limits.maxIngestStreams}); retry later`,
        { retryable: true },
      );
    this.byActor.set(actor, mine + 1);
    this.total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= 1;
      const n = (this.byActor.get(actor) ?? 1) - 1;
      if (n > 0) this.byActor.set(actor, n);
      else this.byActor.delete(actor);
    };
  }
}

export function ingestServiceHandlers(deps: {
  ctx: RunContext;
  logger: Logger;
  limits: IngestLimits;
}): IngestServiceServer & Record<string, UntypedHandleCall> {
  const quota = new StreamQuota(deps.limits);
  return {
    // messages wait in the stream while the caller is verified (no 'data' listener yet)
    ingest: (call: ServerDuplexStream<IngestRequest, IngestResponse>) =>
      void streamScope(deps.logger, call, 'Ingest').then((scope) => {
        if ('error' in scope) {
          call.emit('error', toServiceError(scope.error, deps.logger, 'Ingest'));
          return;
        }
        if (call.cancelled) return;
        serve(call, scope.actor, scope.log);
      }),
  };

  function serve(call: ServerDuplexStream<IngestRequest, IngestResponse>, actor: string, log: Logger): void {
    let leave: () => void;
    try {
      leave = quota.admit(actor);
    } catch (err) {
      log.warn('ingest:refused', { reason: (err as Error).message });
      call.emit('error', toServiceError(err, log, 'Ingest'));
      return;
    }
    let session: IngestSession | undefined;
    // waits for the client to read (flow control) — but never on a call that is gone, or a batch in
    // flight would hold the stream's run (and its lock) forever
    const gone = new Promise<void>((resolve) => {
      call.once('cancelled', resolve);
      call.once('close', resolve);
      call.once('error', resolve);
    });
    const send = async (msg: IngestResponse) => {
      if (call.cancelled || call.destroyed) return;
      if (!call.write(msg)) await Promise.race([once(call, 'drain').catch(() => undefined), gone]);
    };
    let finished = false;
    const fail = (err: unknown) => {
      finished = true;
      if (!call.cancelled) call.emit('error', toServiceError(err, log, 'Ingest')); // sends the status, ends the call
      closeSession();
    };
    // a stream that sends nothing is ended: it would hold its run (and its place in the quota) forever
    let idle: NodeJS.Timeout;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        if (finished) return;
        log.warn('ingest:idle-timeout', { idleMs: deps.limits.ingestIdleTimeoutMs, runId: session?.run.id });
        fail(
          new StrongroomError(
            ErrorCode.DEADLINE_EXCEEDED,
            `the stream sent nothing for ${deps.limits.ingestIdleTimeoutMs / 1000} s and was closed; reopen it with the same stream_id to continue`,
            { retryable: true },
          ),
        );
      }, deps.limits.ingestIdleTimeoutMs);
      idle.unref();
    };
    armIdle();
    // records of batches received whose commit has not returned: the next batch's records are numbered after them
    let inFlightRecords = 0;
    // messages received and not yet handled, in order: a batch's turn takes the batches queued right behind it
    // that were mapped ahead, and commits them with it (their own turns then only count them out)
    const waiting: Queued[] = [];
    const handle = async (entry: Queued) => {
      const { msg } = entry;
      if (msg.open) {
        if (session) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'the stream is already open');
        session = await IngestSession.open(deps.ctx, msg.open.jobId, msg.open.streamId, actor);
        await send({ opened: { run: runToProto(session.run), resumed: session.resumed } });
      } else if (msg.batch) {
        if (!session) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'send open before the first batch');
        const open = session;
        const group = [entry, ...(await mappedBehind(entry, open))];
        let answered = 0;
        try {
          await open.commitGroup(
            await Promise.all(
              group.map(
                (e) =>
                  e.prepared ??
                  open.prepare(
                    (e.msg.batch as IngestBatch).idempotencyKey,
                    (e.msg.batch as IngestBatch).records.map(toCanonical),
                  ),
              ),
            ),
            actor,
            async (acks) => {
              // counted in the run's records read now
              for (let i = 0; i < acks.length; i++)
                inFlightRecords -= (group[answered++] as Queued).msg.batch?.records.length ?? 0;
              for (const ack of acks) await send({ ack });
            },
            () => !finished, // the caller is gone: the batches still waiting are not committed
          );
        } finally {
          // never counted (not committed)
          for (const e of group.slice(answered)) inFlightRecords -= e.msg.batch?.records.length ?? 0;
        }
      } else if (msg.complete) {
        if (!session) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'send open before complete');
        const run = await session.complete(actor);
        await send({ completed: { run: runToProto(run) } });
        log.info('ingest:completed', { runId: run.id, status: run.status, read: run.recordsRead });
        finished = true;
        clearTimeout(idle);
        call.end();
      } else {
        throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'empty ingest message');
      }
    };
    // the batches that were queued right behind `entry` when its turn came, up to the first that is not a batch or
    // is refused (that one is handled in its own turn); one not mapped ahead (it came before the stream was open)
    // is mapped now, and a mapping still running is waited for (CPU the stream spends anyway, and the group saves
    // a transaction). None when the stream cannot group: it then commits each batch while the next one is
    // mapped, as before. Those taken skip their own turns
    const mappedBehind = async (entry: Queued, open: IngestSession): Promise<Queued[]> => {
      if (finished || !open.canGroup()) return [];
      const behind: Queued[] = [];
      // where the next batch's records start (the entry's own are numbered from the run's records read)
      let next = Number(open.run.recordsRead) + (entry.msg.batch?.records.length ?? 0);
      for (const e of waiting.slice(waiting.indexOf(entry) + 1)) {
        if (!e.msg.batch || e.taken) break;
        e.prepared ??= open.prepare(e.msg.batch.idempotencyKey, e.msg.batch.records.map(toCanonical), next);
        if (
          !(await e.prepared.then(
            () => true,
            () => false,
          ))
        )
          break;
        next += e.msg.batch.records.length;
        behind.push(e);
      }
      for (const e of behind) e.taken = true;
      return behind;
    };
    // messages are handled strictly in order, one commit at a time; a batch that arrives while another
    // commits is mapped at once (CPU here while the database works there), and reading pauses while
    // MAX_QUEUED messages wait (flow control reaches the client)
    let current: Promise<void> = Promise.resolve();
    let queued = 0;
    call.on('data', (msg: IngestRequest) => {
      if (finished) return;
      clearTimeout(idle); // a batch in flight is not idleness
      if (++queued >= MAX_QUEUED) call.pause();
      let prepared: Promise<PreparedIngestBatch> | undefined;
      if (msg.batch && session && queued > 1) {
        // numbered after the batches before it (if one of them turns out a re-send, the commit maps it
        // again); a refusal is reported in its turn, after the batches before it
        prepared = session.prepare(
          msg.batch.idempotencyKey,
          msg.batch.records.map(toCanonical),
          Number(session.run.recordsRead) + inFlightRecords,
        );
        prepared.catch(() => undefined);
      }
      inFlightRecords += msg.batch?.records.length ?? 0;
      const entry: Queued = { msg, prepared, taken: false };
      waiting.push(entry);
      current = current
        .then(async () => {
          // committed and answered with a batch before it (group commit)
          if (!finished && !entry.taken) await handle(entry);
        })
        .finally(() => {
          const at = waiting.indexOf(entry);
          if (at >= 0) waiting.splice(at, 1);
        })
        .then(
          () => {
            queued--;
            if (queued === MAX_QUEUED - 1) call.resume();
            if (!finished && queued === 0) armIdle();
          },
          (err) => {
            queued--;
            fail(err);
          },
        );
    });
    // the session (and the run's lock) is released only after the batch in flight has settled
    function closeSession(): void {
      clearTimeout(idle);
      void current.finally(() => session?.close()).finally(leave);
    }
    // half-closed: the messages received before are still handled and answered, then the call ends (without
    // complete the run stays open; the same stream_id continues it later)
    call.on('end', () => {
      current = current.then(() => {
        if (!finished) {
          finished = true;
          clearTimeout(idle);
          call.end();
        }
      });
    });
    // the caller is gone: batches still waiting are not committed (it re-sends them when it reconnects)
    call.on('cancelled', () => {
      finished = true;
    });
    call.on('close', closeSession);
    call.on('finish', closeSession);
    call.on('cancelled', closeSession);
  }
}
