import { type ClientBase } from 'pg';
import { encryptField } from '@strongroom/compliance';
import { type Rejection } from '../types';
import { type BatchContext } from './batch-writer';

/** Inserts a batch's dead letters in one statement; a job with RESTRICTED fields keeps their raw records encrypted. */
export async function insertDeadLetters(
  client: ClientBase,
  ctx: BatchContext,
  dead: readonly Rejection[],
): Promise<void> {
  const enc = ctx.checks?.encryption;
  await client.query(
    `INSERT INTO dead_letter_queue (run_id, job_id, record_no, raw_record, reason_code, reason_message, field, data_classification)
     SELECT $1, $2, r.record_no, r.raw, r.code, r.message, r.field, $3
       FROM unnest($4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[]) AS r(record_no, raw, code, message, field)`,
    [
      ctx.runId,
      ctx.jobId,
      ctx.dataClassification,
      dead.map((d) => d.recordNo),
      dead.map((d) => (enc ? encryptField(enc.keys, 'raw_record', d.raw) : d.raw)), // a job with RESTRICTED fields keeps its raw records encrypted
      dead.map((d) => d.code),
      dead.map((d) => d.message),
      dead.map((d) => d.field),
    ],
  );
  ctx.crash?.('dlq:mid-write');
}
