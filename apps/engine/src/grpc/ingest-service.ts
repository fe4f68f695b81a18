import { once } from 'node:events';
import { type ServerDuplexStream, type UntypedHandleCall } from '@grpc/grpc-js';
import {
  type IngestRecord,
  type IngestRequest,
  type IngestResponse,
  type IngestServiceServer,
} from '@strongroom/contract';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { type Logger } from '@strongroom/logging';
import { IngestSession, type IngestRecordInput, type RunContext } from '@strongroom/pipeline';
import { streamScope } from './call-scope';
import { runToProto } from './mappers';
import { toServiceError } from './status-map';

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
export function ingestServiceHandlers(deps: {
  ctx: RunContext;
  logger: Logger;
}): IngestServiceServer & Record<string, UntypedHandleCall> {
  return {
    ingest: (call: ServerDuplexStream<IngestRequest, IngestResponse>) => {
      const scope = streamScope(deps.logger, call, 'Ingest');
      if ('error' in scope) {
        call.emit('error', toServiceError(scope.error, deps.logger, 'Ingest'));
        return;
      }
      const { actor, log } = scope;
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
      };
      const handle = async (msg: IngestRequest) => {
        if (msg.open) {
          if (session) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'the stream is already open');
          session = await IngestSession.open(deps.ctx, msg.open.jobId, msg.open.streamId, actor);
          await send({ opened: { run: runToProto(session.run), resumed: session.resumed } });
        } else if (msg.batch) {
          if (!session) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'send open before the first batch');
          const ack = await session.batch(msg.batch.idempotencyKey, msg.batch.records.map(toCanonical), actor);
          await send({ ack });
        } else if (msg.complete) {
          if (!session) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'send open before complete');
          const run = await session.complete(actor);
          await send({ completed: { run: runToProto(run) } });
          log.info('ingest:completed', { runId: run.id, status: run.status, read: run.recordsRead });
          finished = true;
          call.end();
        } else {
          throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'empty ingest message');
        }
      };
      // one message at a time: reading pauses while a batch commits (flow control reaches the client)
      let current: Promise<void> = Promise.resolve();
      call.on('data', (msg: IngestRequest) => {
        if (finished) return;
        call.pause();
        current = handle(msg).then(
          () => void call.resume(),
          (err) => fail(err),
        );
      });
      // the session (and the run's lock) is released only after the batch in flight has settled
      const closeSession = () => void current.finally(() => session?.close());
      call.on('end', () => {
        if (!finished) {
          finished = true;
          call.end(); // half-closed without complete: the run stays open; the same stream_id continues it later
        }
      });
      call.on('close', closeSession);
      call.on('cancelled', closeSession);
    },
  };
}
