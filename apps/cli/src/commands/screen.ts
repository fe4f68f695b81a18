import fs from 'node:fs';
import readline from 'node:readline';
import { SanctionsIndex, sanctionsListFiles, type ScreeningResult } from '@strongroom/compliance';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { type CliConfig } from '../config';
import { UsageError } from '../cli-errors';

export interface ScreenOptions {
  json: boolean;
  /** List files given on the command line (repeatable); replace the configured lists. */
  lists: string[];
  /** Screen one name per line of this file instead of one name. */
  file?: string;
  threshold?: number;
  /** Exit 1 when a name is a hit. */
  failOnHit?: boolean;
}

/**
 * `strongroom screen <name>`: screens one name (or each line of `--file`) against the sanctions lists the
 * load path uses (STRONGROOM_SANCTIONS_LISTS, else <home>/sanctions/*.csv) or against `--list` files.
 * Exit 0 when the screening ran (hit or not: read `hit` in the output), 2 on usage or list errors;
 * with `--fail-on-hit`, exit 1 when at least one name was a hit (for shell pipelines).
 */
const SCREEN_USAGE =
  'strongroom screen <name> [--list FILE]… [--threshold N] [--json]\n       strongroom screen --file NAMES.txt [--list FILE]… [--json]';

export async function screenCommand(
  config: CliConfig,
  name: string | undefined,
  options: ScreenOptions,
): Promise<number> {
  if (!name && !options.file) {
    throw new UsageError(SCREEN_USAGE);
  }
  if (name && options.file) {
    throw new UsageError(SCREEN_USAGE, 'give either a name or --file, not both');
  }
  const threshold = options.threshold ?? config.screeningThreshold;
  if (!(threshold > 0 && threshold <= 1)) {
    throw new UsageError(SCREEN_USAGE, '--threshold must be a number in (0, 1]');
  }
  const files = options.lists.length ? options.lists : sanctionsListFiles(config.sanctionsLists, config.home);
  if (!files.length) {
    process.stderr.write(
      `strongroom screen: no sanctions list loaded. Pass --list FILE (OFAC sdn.csv / alt.csv), set STRONGROOM_SANCTIONS_LISTS, or put the files in ${config.home}/sanctions/\n`,
    );
    return 2;
  }
  let index: SanctionsIndex;
  try {
    for (const f of files)
      if (!fs.existsSync(f))
        throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, `sanctions list ${f} does not exist`);
    index = SanctionsIndex.fromFiles(files, threshold);
  } catch (err) {
    const why =
      err instanceof StrongroomError
        ? err.message
        : `cannot read the sanctions lists (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
    process.stderr.write(`strongroom screen: ${why}\n`);
    return 2;
  }
  for (const s of index.sources) {
    if (s.skipped.length && !options.json)
      process.stderr.write(
        `note: ${s.file}: ${s.skipped.length} record(s) skipped (first: record ${s.skipped[0]?.recordNo}, ${s.skipped[0]?.reason})\n`,
      );
  }

  const print = (query: string, r: ScreeningResult) => {
    if (options.json) {
      process.stdout.write(`${JSON.stringify({ name: query, ...r })}\n`);
    } else if (r.hit) {
      process.stdout.write(
        `HIT     ${query} → ${r.matchedName} (entry ${r.entryId}${r.kind !== 'primary' ? `, ${r.kind} of ${r.primaryName}` : ''}; ${r.programs.join(', ') || 'no program'}) score ${r.score.toFixed(3)} ≥ ${threshold}\n`,
      );
    } else {
      process.stdout.write(
        `no hit  ${query}${r.matchedName ? ` (closest: ${r.matchedName}, score ${r.score.toFixed(3)} < ${threshold})` : ''}\n`,
      );
    }
  };

  if (name) {
    const r = index.screen(name, threshold);
    print(name, r);
    return r.hit && options.failOnHit ? 1 : 0;
  }
  let anyHit = false;
  let input: fs.ReadStream;
  try {
    input = fs.createReadStream(options.file as string, { encoding: 'utf8' });
    await new Promise<void>((resolve, reject) => input.once('open', () => resolve()).once('error', reject));
  } catch (err) {
    process.stderr.write(
      `strongroom screen: cannot read ${options.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})\n`,
    );
    return 2;
  }
  for await (const line of readline.createInterface({ input, crlfDelay: Infinity })) {
    const query = line.replace(/^\uFEFF/, '');
    const r = index.screen(query, threshold); // a blank line still answers (no hit), so output lines match input lines
    anyHit ||= r.hit;
    print(query, r);
  }
  return anyHit && options.failOnHit ? 1 : 0;
}
