import { RunStatus, type Run } from '@strongroom/contract';

export const STATUS_NAME: Record<number, string> = {
  [RunStatus.RUN_STATUS_UNSPECIFIED]: 'UNSPECIFIED',
  [RunStatus.RUN_STATUS_PENDING]: 'PENDING',
  [RunStatus.RUN_STATUS_RUNNING]: 'RUNNING',
  [RunStatus.RUN_STATUS_PAUSED]: 'PAUSED',
  [RunStatus.RUN_STATUS_SUCCEEDED]: 'SUCCEEDED',
  [RunStatus.RUN_STATUS_FAILED]: 'FAILED',
  [RunStatus.RUN_STATUS_CANCELLED]: 'CANCELLED',
};

export function isTerminal(run: Run): boolean {
  return [RunStatus.RUN_STATUS_SUCCEEDED, RunStatus.RUN_STATUS_FAILED, RunStatus.RUN_STATUS_CANCELLED].includes(
    run.status,
  );
}

/** The JSON summary scripts rely on (docs/design.md §8): at least runId, status, read, loaded, deadLettered. */
export function runSummary(run: Run): Record<string, unknown> {
  return {
    runId: run.id,
    jobId: run.jobId,
    jobName: run.jobName,
    jobVersion: run.jobVersion,
    status: STATUS_NAME[run.status] ?? 'UNSPECIFIED',
    read: run.read,
    loaded: run.loaded,
    deadLettered: run.deadLettered,
    filtered: run.filtered,
    filteredByReason: Object.fromEntries(run.filteredByReason.map((f) => [f.reason, f.count])),
    reconciled: run.reconciliation?.reconciled ?? null,
    // a FAILED or CANCELLED run publishes nothing: what it loaded was removed from the sink again
    published: run.status === RunStatus.RUN_STATUS_SUCCEEDED,
    rowsInSink: unpublished(run) ? 0 : run.loaded,
    totals:
      run.reconciliation?.sinkTotals.map((t) => ({ currency: t.currency, count: t.count, amount: t.amount })) ?? [],
    recordsPerSecond: Math.round(run.recordsPerSecond),
    sourcePath: run.sourcePath,
    sourceSha256: run.sourceSha256,
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
    identifiersTokenized: run.identifiersTokenized,
    errorCode: run.errorCode || null,
    errorMessage: run.errorMessage || null,
  };
}

function unpublished(run: Run): boolean {
  return run.status === RunStatus.RUN_STATUS_FAILED || run.status === RunStatus.RUN_STATUS_CANCELLED;
}

/** Human-readable summary block. */
export function formatSummary(run: Run): string {
  const s = runSummary(run);
  const lines = [
    `run ${run.id} (${run.jobName || run.jobId} v${run.jobVersion}): ${s.status}`,
    `  read ${run.read}  loaded ${run.loaded}  dead-lettered ${run.deadLettered}  filtered ${run.filtered}` +
      (run.filteredByReason.length ? ` (${run.filteredByReason.map((f) => `${f.reason} ${f.count}`).join(', ')})` : ''),
    `  conservation: read ${run.read} ${run.read === run.loaded + run.deadLettered + run.filtered ? '=' : '≠'} loaded + dead-lettered + filtered`,
  ];
  if (unpublished(run)) {
    // the counters say what happened; the sink keeps none of it
    lines.push(
      `  not published: the ${run.loaded} loaded rows were removed from the sink again, with their alerts; nothing of this run stays there (its counters and dead letters do)`,
    );
  } else if (run.reconciliation) {
    lines.push(
      `  reconciliation: ${run.reconciliation.reconciled ? 'OK — sink totals equal source totals' : `MISMATCH — ${run.reconciliation.reason}`}`,
    );
    for (const t of run.reconciliation.sinkTotals)
      lines.push(`    ${t.currency}  ${String(t.count).padStart(9)} rows  ${t.amount.padStart(20)}`);
  }
  if (run.identifiersTokenized)
    lines.push(
      `  warning: ${run.identifiersTokenized} identifier(s) held what passes the card checks and were stored as tokens (their business key changed); declare compliance.notCardData for fields that never hold card data`,
    );
  if (run.recordsPerSecond)
    lines.push(`  throughput: ${Math.round(run.recordsPerSecond).toLocaleString('en-US')} records/s`);
  if (run.errorCode) lines.push(`  error: ${run.errorCode}: ${run.errorMessage}`);
  return lines.join('\n');
}
