import { createHash } from 'node:crypto';
import { appendAudit } from '@strongroom/audit';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
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
  const sources = listSources(screener);
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

/** What a loaded index was made of, file by file (for the audit entry and the caller). */
export function listSources(screener: SanctionsIndex) {
  return screener.sources.map((s) => ({
    file: s.file,
    sha256: s.sha256,
    format: s.format,
    names: s.names,
    skipped: s.skipped.length,
  }));
}

/** The lists' version: SHA-256 over their files' digests, in the order given. */
export function listsVersion(sources: readonly { sha256: string }[]): string {
  return createHash('sha256')
    .update(sources.map((s) => s.sha256).join('\n'))
    .digest('hex');
}

/**
 * Replaces the lists screening uses, at run time: the new index is built (and every file read and parsed)
 * before anything changes, the switch is one assignment — runs that start afterwards screen against the
 * new lists, a run already going keeps the ones it started with — and the load is audited with who asked
 * and why. A file that cannot be read or parsed changes nothing.
 */
export async function reloadScreening(
  setup: ScreeningSetup,
  files: readonly string[],
  ds: DataSource,
  logger: Logger,
  actor: string,
  reason: string,
): Promise<{ version: string; previousVersion: string; names: number; sources: ReturnType<typeof listSources> }> {
  let screener: SanctionsIndex;
  try {
    screener = SanctionsIndex.fromFiles(files, setup.threshold);
  } catch (err) {
    throw new StrongroomError(
      ErrorCode.INVALID_ARGUMENT,
      `the sanctions lists were not loaded (screening is unchanged): ${(err as Error).message}`,
    );
  }
  if (screener.size === 0)
    throw new StrongroomError(
      ErrorCode.INVALID_ARGUMENT,
      'the sanctions lists hold no name (screening is unchanged): an empty list would screen nothing',
    );
  const previousVersion = setup.screener ? listsVersion(setup.screener.sources) : '';
  const version = listsVersion(screener.sources);
  const sources = listSources(screener);
  await ds.transaction((em) =>
    appendAudit(sqlExec(em), {
      actor,
      action: 'sanctions:loaded',
      subject: { lists: sources.length, version },
      details: { sources, threshold: String(setup.threshold), previousVersion, reason },
    }),
  );
  setup.screener = screener; // the switch: one assignment, after the audit entry committed
  logger.info('sanctions:list-reloaded', { names: screener.size, version, previousVersion, actor });
  return { version, previousVersion, names: screener.size, sources };
}
