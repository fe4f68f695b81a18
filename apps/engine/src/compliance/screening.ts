import { appendAudit } from '@strongroom/audit';
import { SanctionsIndex } from '@strongroom/compliance';
import { type DataSource, sqlExec } from '@strongroom/db';
import { type Logger } from '@strongroom/logging';
import { type ScreeningSetup } from '@strongroom/pipeline';
import { type Breaker } from '@strongroom/resilience';

/**
 * Loads the sanctions lists the engine screens against (at start) and records which ones — file,
 * SHA-256, names — in the audit chain, so every alert can be traced to the list version that raised it.
 * No list configured: jobs with AML are refused unless they say `sanctions: off`.
 */
export async function loadScreening(
  files: string[],
  threshold: number,
  breaker: Breaker,
  ds: DataSource,
  logger: Logger,
): Promise<ScreeningSetup> {
  if (!files.length) {
    logger.warn('sanctions:no-list', {
      note: 'jobs with AML will be refused until STRONGROOM_SANCTIONS_LISTS is set (or <home>/sanctions/ holds the OFAC files)',
    });
    return { threshold, breaker };
  }
  const t0 = Date.now();
  const screener = SanctionsIndex.fromFiles(files, threshold);
  const sources = screener.sources.map((s) => ({
    file: s.file,
    sha256: s.sha256,
    format: s.format,
    names: s.names,
    skipped: s.skipped.length,
  }));
  await ds.transaction((em) =>
    appendAudit(sqlExec(em), {
      actor: 'service:engine',
      action: 'sanctions:loaded',
      subject: { lists: sources.length },
      details: { sources, threshold: String(threshold) },
    }),
  );
  logger.info('sanctions:list-loaded', {
    names: screener.size,
    files: sources.map((s) => s.file),
    ms: Date.now() - t0,
  });
  return { screener, threshold, breaker };
}
