import { maskPansInText } from '@strongroom/compliance';
import { inspectFile } from '@strongroom/connectors';
import { type JobRunEntity, sqlExec } from '@strongroom/db';
import { appendAudit } from '@strongroom/audit';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { redactPansDeep, type Logger } from '@strongroom/logging';
import { type BankSource } from '../jobs/job-definition';
import { type RunContext } from './run-context';
import { throughSource } from './source-outage';

/**
 * Reads a bank file through once without loading it and checks every control total it declares
 * (ACH batch/file controls, camt/MT940 balances, BAI2 trailers, pain.001 counts and sums). A file that
 * breaks its format or does not reconcile fails the run before anything is written; one that
 * reconciles is audited with its control totals (the evidence of what the bank said it sent).
 */
export async function reconcileBankFile(
  ctx: RunContext,
  run: JobRunEntity,
  src: BankSource & { path: string },
  actor: string,
  log: Logger,
) {
  const report = await inspectFile(src.path, {
    format: src.kind,
    customReturnCodes: src.customReturnCodes ?? false,
    lenient: src.strictness === 'lenient',
    readThrough: (read) => throughSource(ctx.source, src.path, read),
  });
  if (report.sha256 !== run.sourceSha256)
    throw new StrongroomError(
      ErrorCode.SOURCE_CHANGED,
      `source file ${src.path} changed since it was submitted (SHA-256 differs)`,
    );
  // references quoted from the file (statement ids, trace numbers) may look like card numbers: masked like any text at rest
  if (report.rejected)
    throw new StrongroomError(
      ErrorCode.SOURCE_MALFORMED,
      `${src.path} is not a valid ${src.kind} file: ${maskPansInText(report.reason ?? '')}`,
    );
  if (!report.reconciled)
    throw new StrongroomError(
      ErrorCode.SOURCE_NOT_RECONCILED,
      `${src.path} does not reconcile with its own control totals: ${maskPansInText(report.reason ?? '')}`,
    );
  log.info('source:reconciled', {
    format: report.format,
    version: report.version,
    entries: report.entries.read,
    checks: report.checks.length,
  });
  // the evidence is written once the file reconciled and before anything loads (a retry after a crash in
  // this pass writes it then; a resume after batches were committed already has it)
  if (run.batchesCommitted > 0) return;
  await ctx.ds.transaction((em) =>
    appendAudit(sqlExec(em), {
      actor,
      action: 'source:reconciled',
      subject: { jobId: run.jobId, runId: run.id },
      details: redactPansDeep({
        format: report.format,
        version: report.version,
        sha256: report.sha256,
        counts: report.counts,
        controlTotals: report.controlTotals,
        checks: report.checks.length,
        entries: report.entries,
        warnings: report.warnings.slice(0, 20),
      }) as Record<string, unknown>,
    }),
  );
}
