import { createHash, hash } from 'node:crypto';
import fs from 'node:fs';
import { appendAudit } from '@strongroom/audit';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { SanctionsIndex } from '@strongroom/compliance';
import { type DataSource, sqlExec, type SqlExec } from '@strongroom/db';
import { type Logger } from '@strongroom/logging';
import { type ScreeningSetup } from '@strongroom/pipeline';
import { type Breaker } from '@strongroom/resilience';

/** The set of lists in force for every replica: the newest row of sanctions_list_sets. */
interface ListSet {
  id: number;
  version: string;
  files: { file: string; sha256: string }[];
  loadedBy: string;
  loadedAt: Date;
}

async function latestSet(ds: DataSource): Promise<ListSet | null> {
  const [row] = (await ds.query(
    `SELECT id::int AS id, version, files, loaded_by AS "loadedBy", loaded_at AS "loadedAt"
       FROM sanctions_list_sets ORDER BY id DESC LIMIT 1`,
  )) as ListSet[];
  return row ?? null;
}

/** Records a set as the one in force (in the caller's transaction); returns its id. */
async function recordSet(exec: SqlExec, version: string, screener: SanctionsIndex, actor: string): Promise<number> {
  const [row] = await exec(
    `INSERT INTO sanctions_list_sets (version, files, loaded_by) VALUES ($1, $2, $3) RETURNING id::int AS id`,
    [version, JSON.stringify(screener.sources.map((s) => ({ file: s.file, sha256: s.sha256 }))), actor],
  );
  return Number(row?.['id']);
}

/**
 * Records a loaded index as the set in force for every replica, with its `sanctions:loaded` audit entry,
 * in one transaction; returns its version, sources and set id.
 */
async function putInForce(
  ds: DataSource,
  screener: SanctionsIndex,
  actor: string,
  details: { threshold: string; previousVersion: string; reason?: string },
): Promise<{ version: string; sources: ReturnType<typeof listSources>; setId: number }> {
  const version = listsVersion(screener.sources);
  const sources = listSources(screener);
  const setId = await ds.transaction(async (em) => {
    const id = await recordSet(sqlExec(em), version, screener, actor);
    await appendAudit(sqlExec(em), {
      actor,
      action: 'sanctions:loaded',
      subject: { lists: sources.length, version },
      details: { sources, ...details },
    });
    return id;
  });
  return { version, sources, setId };
}

/**
 * Loads a recorded set on this replica: the same files, each with the SHA-256 recorded when it was loaded —
 * a file changed or missing here is not the set in force, and is refused.
 */
function loadSet(set: ListSet, threshold: number): SanctionsIndex {
  const screener = SanctionsIndex.fromFiles(
    set.files.map((f) => f.file),
    threshold,
  );
  screener.sources.forEach((s, i) => {
    const want = set.files[i]?.sha256;
    if (s.sha256 !== want)
      throw new Error(
        `${s.file} is not the file that was loaded (SHA-256 ${s.sha256.slice(0, 12)}… ≠ ${want?.slice(0, 12)}…)`,
      );
  });
  return screener;
}

/**
 * Keeps `setup` on the set in force: when a newer set was recorded (by `sanctions load` on any replica),
 * it is loaded here before the next run's checks are made. A set whose files cannot be read here, or
 * differ from those loaded, leaves `setup.unavailable` set: AML runs are refused (fail closed) until it can.
 */
function follow(
  setup: EngineScreening,
  ds: DataSource,
  logger: Logger,
  now: () => number,
): (options?: { maxAgeMs?: number }) => Promise<void> {
  let lookedAt = -Infinity;
  return async (options = {}) => {
    if (options.maxAgeMs !== undefined && now() - lookedAt < options.maxAgeMs) return;
    lookedAt = now();
    const set = await latestSet(ds);
    if (!set || set.id === setup.setId) return;
    try {
      setup.screener = loadSet(set, setup.threshold);
      setup.setId = set.id;
      delete setup.unavailable;
      logger.info('sanctions:list-followed', {
        version: set.version,
        loadedBy: set.loadedBy,
        names: setup.screener.size,
      });
    } catch (err) {
      const why = `the sanctions lists in force (version ${set.version.slice(0, 12)}…, loaded by ${set.loadedBy} at ${new Date(set.loadedAt).toISOString()}) cannot be loaded on this replica: ${(err as Error).message}`;
      if (setup.unavailable !== why)
        logger.error('sanctions:list-unavailable', { version: set.version, error: (err as Error).message });
      setup.unavailable = why;
    }
  };
}

/** This replica's screening: the index it screens with and the recorded set it holds. */
export interface EngineScreening extends ScreeningSetup {
  setId?: number;
}

/**
 * Loads the sanctions lists the engine screens against (at start) and records which ones — file,
 * SHA-256, names — in the audit chain, so every alert can be traced to the list version that raised it.
 * The set in force is shared by every replica (sanctions_list_sets): the configured files become it when
 * there is none yet; otherwise the newest recorded set is loaded (lists loaded at run time survive a
 * restart, and a replica started with other files screens with the set in force, saying so). No list at
 * all: jobs with AML are refused unless they say `sanctions: off`.
 */
export async function loadScreening(
  files: string[],
  threshold: number,
  breaker: Breaker,
  ds: DataSource,
  logger: Logger,
  now: () => number = Date.now,
): Promise<EngineScreening> {
  const setup: EngineScreening = { threshold, breaker };
  setup.refresh = follow(setup, ds, logger, now);
  const latest = await latestSet(ds);
  if (files.length && !latest) {
    // the first lists of the deployment: they become the set in force for every replica
    const t0 = Date.now();
    const screener = SanctionsIndex.fromFiles(files, threshold);
    const { version, sources, setId } = await putInForce(ds, screener, 'service:engine', {
      threshold: String(threshold),
      previousVersion: '',
    });
    setup.screener = screener;
    setup.setId = setId;
    logger.info('sanctions:list-loaded', {
      names: screener.size,
      files: sources.map((s) => s.file),
      version,
      ms: Date.now() - t0,
    });
    return setup;
  }
  if (files.length && latest) {
    // a set is in force already: the configured files do not replace it (new lists are loaded with
    // `strongroom sanctions load`, audited with who asked); said when they differ
    // compared by the files' digests (the version), without parsing lists that are not going to be used
    const version = listsVersion(files.map((f) => ({ sha256: hash('sha256', fs.readFileSync(f)) })));
    if (version !== latest.version)
      logger.warn('sanctions:configured-lists-not-in-force', {
        configured: version,
        inForce: latest.version,
        loadedBy: latest.loadedBy,
        note: 'load new lists with `strongroom sanctions load FILE… --reason …`',
      });
  }
  if (!latest) {
    logger.warn('sanctions:no-list', {
      note: 'jobs with AML will be refused until STRONGROOM_SANCTIONS_LISTS is set (or <home>/sanctions/ holds the OFAC files)',
    });
    return setup;
  }
  await setup.refresh();
  return setup;
}

/**
 * Screening that follows the set in force and loads no file of its own (an engine's run thread: the engine
 * put its configured lists in force at start). Loaded now when a set is in force.
 */
export async function followScreening(
  threshold: number,
  breaker: Breaker,
  ds: DataSource,
  logger: Logger,
): Promise<EngineScreening> {
  const setup: EngineScreening = { threshold, breaker };
  setup.refresh = follow(setup, ds, logger, Date.now);
  await setup.refresh();
  return setup;
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
 * and why. The set is recorded for every replica: each loads it before its next run starts. A file that
 * cannot be read or parsed changes nothing.
 */
export async function reloadScreening(
  setup: EngineScreening,
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
  // recorded as the set in force for every replica (each loads it before its next run), with its audit entry
  const { version, sources, setId } = await putInForce(ds, screener, actor, {
    threshold: String(setup.threshold),
    previousVersion,
    reason,
  });
  // the switch on this replica: one assignment, after the set and its audit entry committed
  setup.screener = screener;
  setup.setId = setId;
  delete setup.unavailable;
  logger.info('sanctions:list-reloaded', { names: screener.size, version, previousVersion, actor });
  return { version, previousVersion, names: screener.size, sources };
}
