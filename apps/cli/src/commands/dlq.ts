import {
  createDeadLetterServiceClient,
  DeadLetterStatus,
  type DeadLetter,
  type DiscardDeadLettersResponse,
  type ListDeadLettersResponse,
  type ReplayDeadLettersResponse,
} from '@strongroom/contract';
import { type CliConfig } from '../config';
import { fail, UsageError } from '../cli-errors';
import { engineTarget, unaryCaller } from '../engine-client';

const STATUS: Record<string, DeadLetterStatus> = {
  PENDING: DeadLetterStatus.DEAD_LETTER_STATUS_PENDING,
  REPLAYED: DeadLetterStatus.DEAD_LETTER_STATUS_REPLAYED,
  DISCARDED: DeadLetterStatus.DEAD_LETTER_STATUS_DISCARDED,
};
const STATUS_NAME = Object.fromEntries(Object.entries(STATUS).map(([k, v]) => [v, k]));

export interface DlqOptions {
  json: boolean;
  run?: string;
  status?: string;
  reason?: string;
  code?: string;
}

/**
 * `strongroom dlq list [--run ID] [--status PENDING|REPLAYED|DISCARDED] [--code REASON]`,
 * `strongroom dlq replay <id…> | --run ID`, `strongroom dlq discard <id…> --reason TEXT`.
 */
export async function dlqCommand(
  config: CliConfig,
  sub: string | undefined,
  ids: string[],
  opts: DlqOptions,
): Promise<number> {
  const client = createDeadLetterServiceClient(engineTarget(config));
  const call = unaryCaller(client, config.deadlineMs);
  const out = (human: string, json: unknown) => process.stdout.write(`${opts.json ? JSON.stringify(json) : human}\n`);
  try {
    if (sub === 'list') {
      if (opts.status && !STATUS[opts.status])
        throw new Error(`--status must be one of ${Object.keys(STATUS).join(', ')}`);
      const entries: DeadLetter[] = [];
      let pageToken = '';
      do {
        const r = await call<ListDeadLettersResponse>('listDeadLetters', {
          runId: opts.run ?? '',
          jobId: '',
          status: opts.status ? STATUS[opts.status] : 0,
          reasonCode: opts.code ?? '',
          pageSize: 500,
          pageToken,
        });
        entries.push(...r.deadLetters);
        pageToken = r.nextPageToken;
      } while (pageToken && entries.length < 10_000);
      const rows = entries.map((d) => ({
        id: d.id,
        runId: d.runId,
        recordNo: d.recordNo,
        status: STATUS_NAME[d.status],
        reasonCode: d.reasonCode,
        reasonMessage: d.reasonMessage,
        attempts: d.attempts,
        rawRecord: d.rawRecord,
      }));
      out(
        rows
          .map(
            (r) =>
              `${r.id.padStart(8)}  ${String(r.status).padEnd(9)} #${r.recordNo}  ${r.reasonCode}: ${r.reasonMessage}`,
          )
          .join('\n') || '(no dead letters)',
        { deadLetters: rows },
      );
      return 0;
    }
    if (sub === 'replay') {
      if (!ids.length && !opts.run) throw new UsageError('strongroom dlq replay <id…> | --run <runId>');
      const r = await call<ReplayDeadLettersResponse>('replayDeadLetters', {
        ids,
        runId: opts.run ?? '',
        corrections: [],
      });
      out(
        `loaded ${r.loaded}, already loaded ${r.alreadyLoaded}, still failing ${r.stillFailing}, skipped ${r.skipped}`,
        r,
      );
      return r.stillFailing ? 1 : 0;
    }
    if (sub === 'discard') {
      if (!ids.length || !opts.reason) throw new UsageError('strongroom dlq discard <id…> --reason "why"');
      const r = await call<DiscardDeadLettersResponse>('discardDeadLetters', { ids, reason: opts.reason });
      out(`discarded ${r.discarded}, skipped ${r.skipped}`, r);
      return 0;
    }
    throw new UsageError('strongroom dlq list|replay|discard …');
  } catch (err) {
    return fail(err, opts.json);
  } finally {
    client.close();
  }
}
