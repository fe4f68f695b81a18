import { appendAudit } from '@strongroom/audit';
import { decryptField, isEncrypted, type KeyProvider, type PanProtector } from '@strongroom/compliance';
import { jsonFields, parseJsonPath, parseRecords } from '@strongroom/connectors';
import { type DataSource, pgClientOf, sqlExec } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { loadRows, prepareStaging, SINK_ID_SEQUENCE } from '../load/batch-writer';
import { mergeTotals, totalsFromJson, totalsToJson } from '../load/integrity';
import { asFileJob, recordLayout, sourceSystem } from '../jobs/job-definition';
import { getJob } from '../jobs/job-store';
import { getRun } from '../run/run-store';
import { sinkTotals } from '../run/run-finalizer';
import { createTransactionMapper } from '../load/transaction-mapper';
import { type CanonicalTransaction } from '../types';
import { complianceChecksFor, runComplianceChecks, type ScreeningSetup } from '../compliance/compliance-checks';
import { ID } from './dead-letters';
import { replayKycRun } from './kyc-replay';
import { markReplayOutcomes } from './replay-outcomes';

export type ReplayOutcome = {
  id: string;
  outcome: 'LOADED' | 'ALREADY_LOADED' | 'STILL_FAILING' | 'SKIPPED';
  reasonCode?: string;
  reasonMessage?: string;
};

export interface ReplayRequest {
  ids: string[];
  runId?: string;
  /** id → corrected raw record (one line in the source's format). */
  corrections: Map<string, string>;
  /** Why, when the person said (audited). */
  reason?: string;
}

/**
 * Replays dead letters: each entry (or its correction) goes through the same parsing, validation and
 * loading as the original run, into that run (which must have SUCCEEDED, so the rows are published at
 * once). Per run, everything commits in one transaction with the entries' new status, the run's
 * counters (loaded +n, dead-lettered −n: conservation holds), an integrity row and an audit entry.
 * Entries are locked and only PENDING ones are replayed: a second replay loads nothing.
 */
export async function replayDeadLetters(
  ctx: {
    ds: DataSource;
    pan: PanProtector;
    screening?: ScreeningSetup;
    fieldKeys?: KeyProvider;
    crash?: (point: string) => void;
    /** Throws unless the caller may write the KYC register (the dead letters of a KYC job's run). */
    authorizeKycRegister?: () => void;
  },
  req: ReplayRequest,
  actor: string,
): Promise<ReplayOutcome[]> {
  const { ds } = ctx;
  for (const id of [...req.ids, ...req.corrections.keys()])
    if (!ID.test(id)) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, `dead letter id "${id}" is not an id`);
  let ids = req.ids;
  if (!ids.length) {
    if (!req.runId) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'give dead letter ids or a run_id');
    ids = (
      await ds.query(
        `SELECT id::text AS id FROM dead_letter_queue WHERE run_id = $1 AND status = 'PENDING' ORDER BY dead_letter_queue.id`,
        [req.runId],
      )
    ).map((r: { id: string }) => r.id);
  }
  const entries: { id: string; run_id: string }[] = ids.length
    ? await ds.query('SELECT id::text AS id, run_id FROM dead_letter_queue WHERE id = ANY($1::bigint[])', [ids])
    : [];
  const missing = ids.filter((id) => !entries.some((e) => e.id === id));
  if (missing.length)
    throw new StrongroomError(ErrorCode.NOT_FOUND, `dead letter(s) ${missing.slice(0, 10).join(', ')} not found`);
  const runIds = [...new Set(entries.map((e) => e.run_id))];
  // every run's dead letters may be replayed by this caller before any is: a KYC job's go into the KYC register
  if (ctx.authorizeKycRegister && runIds.length) {
    const kinds = (await ds.query(
      `SELECT DISTINCT v.definition->'source'->>'kind' AS kind FROM job_runs r
         JOIN job_versions v ON v.job_id = r.job_id AND v.version = r.job_version WHERE r.id = ANY($1::uuid[])`,
      [runIds],
    )) as { kind: string }[];
    if (kinds.some((k) => k.kind === 'kyc')) ctx.authorizeKycRegister();
  }
  const outcomes: ReplayOutcome[] = [];
  for (const runId of runIds) {
    outcomes.push(
      ...(await replayRun(
        ctx,
        runId,
        entries.filter((e) => e.run_id === runId).map((e) => e.id),
        req.corrections,
        actor,
        req.reason,
      )),
    );
  }
  return outcomes;
}

async function replayRun(
  ctx: {
    ds: DataSource;
    pan: PanProtector;
    screening?: ScreeningSetup;
    fieldKeys?: KeyProvider;
    crash?: (point: string) => void;
    authorizeKycRegister?: () => void;
  },
  runId: string,
  ids: string[],
  corrections: Map<string, string>,
  actor: string,
  reason?: string,
): Promise<ReplayOutcome[]> {
  const run = await getRun(ctx.ds, runId);
  if (run.status !== 'SUCCEEDED')
    throw new StrongroomError(
      ErrorCode.FAILED_PRECONDITION,
      `run ${runId} is ${run.status}: only dead letters of a SUCCEEDED run can be replayed (resubmit the file otherwise)`,
    );
  if (!run.sourceHeader)
    throw new StrongroomError(
      ErrorCode.FAILED_PRECONDITION,
      `run ${runId} has no recorded source header to replay with`,
    );
  const job = await getJob(ctx.ds, run.jobId, run.jobVersion);
  const def = asFileJob(job.definition);
  if (def.source.kind === 'kyc') {
    ctx.authorizeKycRegister?.(); // checked for all the runs above; again here, where the register is written
    return replayKycRun(ctx.ds, run, def.source.delimiter, ids, corrections, actor, reason);
  }
  const layout = recordLayout(def.source);
  const mapper = createTransactionMapper(run.sourceHeader, layout.mapping, ctx.pan, def.compliance.notCardData);
  // a raw record is one line of the source's format: a CSV line, or a JSON object of a JSON lines file
  const jsonPaths = layout.paths?.map((p) => parseJsonPath(p));
  const mapRaw = (raw: string, recordNo: number) => {
    if (jsonPaths) {
      if (/[\r\n]/.test(raw.trim())) return undefined;
      const r = jsonFields(raw.trim(), jsonPaths, layout.paths ?? []);
      return mapper.map({ recordNo, fields: r.fields, raw: r.raw, byteEnd: 0, ...(r.error ? { error: r.error } : {}) });
    }
    const parsed = parseRecords(Buffer.from(`${raw}\n`), { delimiter: layout.delimiter.charCodeAt(0) }, true).records;
    return parsed.length === 1
      ? mapper.map({
          recordNo,
          fields: (parsed[0] as { fields: string[] }).fields,
          raw,
          byteEnd: 0,
          ...(parsed[0]?.error ? { error: parsed[0].error } : {}),
        })
      : undefined;
  };
  const runner = ctx.ds.createQueryRunner();
  await runner.connect();
  const client = pgClientOf(runner);
  try {
    await prepareStaging(client);
    await client.query('BEGIN');
    const locked = (
      await client.query(
        `SELECT id::text AS id, record_no::text AS record_no, raw_record, status FROM dead_letter_queue WHERE id = ANY($1::bigint[]) ORDER BY dead_letter_queue.id FOR UPDATE`,
        [ids],
      )
    ).rows as {
      id: string;
      record_no: string;
      raw_record: string;
      status: string;
    }[];
    const outcomes = new Map<string, ReplayOutcome>();
    const valid: CanonicalTransaction[] = [];
    const byRecord = new Map<number, string>();
    for (const e of locked) {
      if (e.status !== 'PENDING') {
        outcomes.set(e.id, { id: e.id, outcome: 'SKIPPED', reasonMessage: `already ${e.status}` });
        continue;
      }
      // a job with RESTRICTED fields keeps raw records encrypted: decrypt to parse them again
      const raw =
        corrections.get(e.id) ??
        (isEncrypted(e.raw_record) && ctx.fieldKeys
          ? decryptField(ctx.fieldKeys, 'raw_record', e.raw_record)
          : e.raw_record);
      const recordNo = Number(e.record_no);
      const m = mapRaw(raw, recordNo);
      if (!m || !m.ok) {
        const code = m && !m.ok ? m.rejection.code : 'FIELD_COUNT_MISMATCH';
        const message =
          m && !m.ok
            ? m.rejection.message
            : `a replayed record must be exactly one ${layout.paths ? 'JSON line' : 'CSV line'}`;
        outcomes.set(e.id, { id: e.id, outcome: 'STILL_FAILING', reasonCode: code, reasonMessage: message });
        continue;
      }
      valid.push(m.txn);
      byRecord.set(recordNo, e.id);
    }
    await ctx.screening?.refresh?.(); // the sanctions lists in force
    const checks = complianceChecksFor(def, ctx.screening, ctx.fieldKeys);
    const batchCtx = {
      runId,
      jobId: run.jobId,
      sourceSystem: sourceSystem(def),
      dataClassification: def.compliance.dataClassification,
      checks,
    };
    valid.sort((a, b) => a.recordNo - b.recordNo); // digests are over rows in record order
    const result = await loadRows(client, batchCtx, valid);
    const loadedNos = valid.map((t) => t.recordNo).filter((n) => !result.notLoaded.has(n));
    // where the replayed rows lie in the sink: after the value taken before their inserts, up to the session's last
    const range = result.idFloor
      ? {
          lo: result.idFloor,
          hi: ((await client.query(`SELECT currval('${SINK_ID_SEQUENCE}')::text AS hi`)).rows[0] as { hi: string }).hi,
        }
      : undefined;
    if (range && loadedNos.length && Object.keys(checks).length) {
      // replayed rows go through the same checks as rows loaded by the run (alerts are deduplicated); the
      // statements also read the rows loaded earlier in the replayed span: from the first id of the run's
      // first batch that can hold one of its records (a replay's batch names its records)
      const [earliest] = (
        await client.query(
          `SELECT coalesce(min(first_id), $2::bigint)::text AS lo FROM transaction_integrity
            WHERE run_id = $1 AND scope = 'BATCH' AND (details ? 'recordNos' OR (details->>'lastRecord')::bigint >= $3)`,
          [runId, range.lo, Math.min(...loadedNos)],
        )
      ).rows as { lo: string }[];
      await runComplianceChecks(
        client,
        checks,
        { runId, jobId: run.jobId, lo: earliest?.lo ?? range.lo, hi: range.hi },
        Math.min(...loadedNos),
        Math.max(...loadedNos),
        valid.filter((t) => !result.notLoaded.has(t.recordNo)),
      );
    }
    ctx.crash?.('replay:mid');
    for (const { recordNo } of valid) {
      const id = byRecord.get(recordNo) as string;
      const o = result.notLoaded.get(recordNo);
      if (o === undefined) outcomes.set(id, { id, outcome: 'LOADED' });
      else if (o === 'filtered') outcomes.set(id, { id, outcome: 'ALREADY_LOADED' });
      else outcomes.set(id, { id, outcome: 'STILL_FAILING', reasonCode: o.code, reasonMessage: o.message });
    }
    const list = [...outcomes.values()];
    const resolved = list.filter((o) => o.outcome === 'LOADED' || o.outcome === 'ALREADY_LOADED');
    const failing = list.filter((o) => o.outcome === 'STILL_FAILING');
    await markReplayOutcomes(sqlExec(client), resolved, failing, corrections, actor, (o) =>
      o.outcome === 'LOADED' ? 'loaded by replay' : 'already in the sink by replay',
    );
    const loaded = result.loaded;
    const filtered = resolved.length - loaded;
    if (resolved.length) {
      const filteredBy = { ...run.filteredByReason };
      if (filtered) filteredBy.ALREADY_LOADED = (filteredBy.ALREADY_LOADED ?? 0) + filtered;
      const loadedTotals = totalsFromJson(run.sourceTotals);
      mergeTotals(loadedTotals, result.totals);
      const batchSeq = run.batchesCommitted + 1;
      await client.query(
        `INSERT INTO transaction_integrity (run_id, batch_seq, scope, record_count, totals, digest_sha256, details, first_id, last_id)
         VALUES ($1, $2, 'BATCH', $3, $4, $5, $6, $7, $8)`,
        [
          runId,
          batchSeq,
          loaded,
          JSON.stringify(totalsToJson(result.totals)),
          result.digest,
          JSON.stringify({
            replay: true,
            deadLetterIds: resolved.map((o) => o.id),
            recordNos: loadedNos,
          }),
          range?.lo ?? null,
          range?.hi ?? null,
        ],
      );
      await client.query(
        `UPDATE job_runs SET records_loaded = records_loaded + $2, records_dead_lettered = records_dead_lettered - $3,
                records_filtered = records_filtered + $4, filtered_by_reason = $5, batches_committed = $6, source_totals = $7
          WHERE id = $1 AND status = 'SUCCEEDED'`,
        [
          runId,
          loaded,
          resolved.length,
          filtered,
          JSON.stringify(filteredBy),
          batchSeq,
          JSON.stringify(totalsToJson(loadedTotals)),
        ],
      );
    }
    await appendAudit(sqlExec(client), {
      actor,
      action: 'dlq:replayed',
      subject: { jobId: run.jobId, runId, deadLetterIds: ids },
      details: {
        loaded,
        alreadyLoaded: filtered,
        stillFailing: failing.length,
        skipped: list.length - resolved.length - failing.length,
        corrected: ids.filter((i) => corrections.has(i)).length,
        ...(reason ? { reason } : {}),
        // the batch this replay added to the run, and its digest (VerifyRun checks the integrity row against it)
        ...(resolved.length ? { batchSeq: run.batchesCommitted + 1, digest: result.digest } : {}),
      },
    });
    await client.query('COMMIT');
    if (resolved.length) {
      const sink = await sinkTotals(ctx.ds, runId);
      await ctx.ds.query('UPDATE job_runs SET sink_totals = $2 WHERE id = $1', [
        runId,
        JSON.stringify(totalsToJson(sink)),
      ]);
    }
    return ids.map((id) => outcomes.get(id) as ReplayOutcome);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await runner.release();
  }
}
