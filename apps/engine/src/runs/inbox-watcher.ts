// File arrival: a job with `trigger: { inbox, settleSeconds }` runs on every new, complete file that lands in
// its inbox, with no command. Every replica watches, one at a time per folder (an advisory lock). A complete
// file is claimed: renamed into `.claimed/` under a name of its own, which its run reads — so a new file of
// the same name may land meanwhile and nothing writes into the one being loaded. Its run is made by
// createRun, whose unique index on (job, file SHA-256) gives one run per content, so a copy under another
// name loads nothing. Once the run has ended the file is filed — processed/ when it SUCCEEDED (or the
// content was already loaded), failed/ otherwise — never over a filed file of the same name. A replica that
// stops at any point leaves the file in the inbox or in `.claimed/`, where the next look finds it: nothing is
// lost, nothing runs twice.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { appendAudit } from '@strongroom/audit';
import { confineSourcePath, type SourceRoots } from '@strongroom/connectors';
import { type DataSource, sqlExec, TERMINAL_RUN_STATUSES } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { type Logger } from '@strongroom/logging';
import { SerialPoll } from './serial-poll';
import {
  type JobDefinition,
  createRun,
  getRun,
  jobsWith,
  matchesInboxPattern,
  splitInbox,
  type JobWithDefinition,
} from '@strongroom/pipeline';

/** The actor of the runs an inbox starts and of the files it moves. */
export const INBOX_ACTOR = 'service:inbox';
/** Names that are not (yet) files to load: hidden files, markers, and the usual in-progress suffixes. */
const NOT_A_FILE = /^\.|\.(done|tmp|part|partial|crdownload|filepart)$/i;

interface Seen {
  size: number;
  mtimeMs: number;
  /** When this size and time were first seen (the settle clock). */
  since: number;
}

/** Where claimed files wait, under a name of their own, while their run reads them. */
const CLAIMED = '.claimed';

export interface InboxWatcherDeps {
  ds: DataSource;
  sourceRoots: SourceRoots;
  /** Hands a new PENDING run to this replica's scheduler. */
  submit: (runId: string) => void;
  logger: Logger;
  /** Milliseconds (injected in tests). */
  now?: () => number;
}

export class InboxWatcher {
  private readonly seen = new Map<string, Seen>();
  /** Claimed file → its run (until filed). */
  private readonly runs = new Map<string, string>();
  private readonly warned = new Set<string>();
  private readonly poll = new SerialPoll(() => this.lookOnce());

  constructor(private readonly deps: InboxWatcherDeps) {}

  /** Looks at every inbox every `pollMs`. */
  start(pollMs: number): void {
    this.poll.start(pollMs);
  }

  stop(): Promise<void> {
    return this.poll.stop();
  }

  /** One look at every inbox (never two at once). */
  tick(): Promise<void> {
    return this.poll.tick();
  }

  private async lookOnce(): Promise<void> {
    let jobs: JobWithDefinition[];
    try {
      jobs = await jobsWith(this.deps.ds, 'trigger');
    } catch (err) {
      this.deps.logger.warn('inbox:jobs-unavailable', { error: String(err) });
      return;
    }
    for (const job of jobs) {
      try {
        await this.look(job);
      } catch (err) {
        this.deps.logger.warn('inbox:look-failed', { jobId: job.job.id, error: String(err) });
      }
    }
  }

  private warnOnce(key: string, event: string, fields: Record<string, unknown>): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.deps.logger.warn(event, fields);
  }

  private async look(job: JobWithDefinition): Promise<void> {
    const trigger = job.definition.trigger;
    if (!trigger || job.definition.source.kind === 'grpc') return;
    const { folder, pattern } = splitInbox(trigger.inbox);
    try {
      confineSourcePath(folder, this.deps.sourceRoots, 'inbox');
    } catch (err) {
      return this.warnOnce(`roots:${job.job.id}:${folder}`, 'inbox:outside-roots', {
        jobId: job.job.id,
        error: (err as Error).message,
      });
    }
    // one replica at a time looks at a folder: claims and filings never race each other
    const runner = this.deps.ds.createQueryRunner();
    await runner.connect();
    try {
      const [lock] = (await runner.query('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [
        `strongroom:inbox:${folder}`,
      ])) as { locked: boolean }[];
      if (!lock?.locked) return; // another replica is looking now
      try {
        await this.lookLocked(job, folder, pattern, trigger.settleSeconds);
      } finally {
        await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`strongroom:inbox:${folder}`]);
      }
    } finally {
      await runner.release();
    }
  }

  private async lookLocked(
    job: JobWithDefinition,
    folder: string,
    pattern: string | undefined,
    settleSeconds: number,
  ): Promise<void> {
    const claimedDir = path.join(folder, CLAIMED);
    // files claimed earlier (by this replica, or one that stopped): each gets its run, and is filed once it ended
    const claimed = await fs.promises
      .readdir(claimedDir, { withFileTypes: true })
      .then((es) => es.filter((e) => e.isFile() && !e.name.endsWith('.done')).map((e) => e.name))
      .catch(() => [] as string[]);
    for (const name of claimed) await this.perFile(job, name, () => this.carry(job, folder, name));
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(folder, { withFileTypes: true });
    } catch (err) {
      return this.warnOnce(`missing:${job.job.id}:${folder}`, 'inbox:unreadable', {
        jobId: job.job.id,
        folder,
        code: (err as NodeJS.ErrnoException).code,
      });
    }
    const names = new Set(entries.map((e) => e.name));
    // what left the folder is forgotten
    for (const key of this.seen.keys())
      if (key.startsWith(`${job.job.id}\0`) && !names.has(key.slice(job.job.id.length + 1))) this.seen.delete(key);
    const now = (this.deps.now ?? Date.now)();
    for (const entry of entries) {
      if (!entry.isFile() || NOT_A_FILE.test(entry.name) || !matchesInboxPattern(entry.name, pattern)) continue;
      await this.perFile(job, entry.name, async () => {
        const file = path.join(folder, entry.name);
        const key = `${job.job.id}\0${entry.name}`;
        const stat = await fs.promises.stat(file);
        let s = this.seen.get(key);
        if (!s || s.size !== stat.size || s.mtimeMs !== stat.mtimeMs) {
          s = { size: stat.size, mtimeMs: stat.mtimeMs, since: now };
          this.seen.set(key, s);
        }
        const marked = names.has(`${entry.name}.done`);
        if (!marked && now - s.since < settleSeconds * 1000) return; // still arriving
        // claimed: renamed to a name of its own, which its run reads — a new file of the same name can land
        // in the inbox meanwhile, and nothing can write into the one being loaded through its old name
        const claimedName = `${now.toString(36)}-${randomBytes(3).toString('hex')}-${entry.name}`;
        await fs.promises.mkdir(claimedDir, { recursive: true });
        await fs.promises.rename(file, path.join(claimedDir, claimedName));
        if (marked)
          await fs.promises
            .rename(path.join(folder, `${entry.name}.done`), path.join(claimedDir, `${claimedName}.done`))
            .catch(() => undefined);
        this.seen.delete(key);
        await this.carry(job, folder, claimedName);
      });
    }
  }

  /** One file's step; a file that fails it (unreadable, say) is reported once and does not hold up the others. */
  private async perFile(job: JobWithDefinition, name: string, step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (err) {
      this.warnOnce(`file:${job.job.id}:${name}:${String(err)}`, 'inbox:file-failed', {
        jobId: job.job.id,
        file: name,
        error: String(err),
      });
    }
  }

  /** A claimed file's run (made once: createRun is idempotent by content), and its filing once the run ended. */
  private async carry(job: JobWithDefinition, folder: string, claimedName: string): Promise<void> {
    const file = path.join(folder, CLAIMED, claimedName);
    let runId = this.runs.get(file);
    if (!runId) {
      // content whose run failed is filed in failed/, not tried again: a retry is an operator's `run --file`,
      // or a corrected file
      const { run, existing } = await createRun(this.deps.ds, job, this.deps.sourceRoots, INBOX_ACTOR, file, {
        noRetry: true,
      });
      if (!existing || run.status === 'PENDING') this.deps.submit(run.id);
      runId = run.id;
      this.runs.set(file, runId);
      this.deps.logger.info(existing ? 'inbox:already-loaded' : 'inbox:run-started', {
        jobId: job.job.id,
        file,
        runId,
        status: run.status,
      });
    }
    const run = await getRun(this.deps.ds, runId);
    if (!TERMINAL_RUN_STATUSES.includes(run.status)) return;
    await this.file(job, folder, claimedName, run.id, run.status);
    this.runs.delete(file);
  }

  /** The claimed file (and its marker) filed once its run ended: processed/ or failed/ beside the inbox, audited. */
  private async file(
    job: JobWithDefinition,
    folder: string,
    claimedName: string,
    runId: string,
    status: string,
  ): Promise<void> {
    const name = claimedName.replace(/^[0-9a-z]+-[0-9a-f]{6}-/, '');
    const to = path.join(folder, status === 'SUCCEEDED' ? 'processed' : 'failed');
    await fs.promises.mkdir(to, { recursive: true });
    const from = path.join(folder, CLAIMED, claimedName);
    const target = await placeWithoutOverwriting(from, to, name);
    await fs.promises.rename(`${from}.done`, `${target}.done`).catch(() => undefined);
    await this.deps.ds.transaction((em) =>
      appendAudit(sqlExec(em), {
        actor: INBOX_ACTOR,
        action: 'inbox:filed',
        subject: { jobId: job.job.id, runId },
        details: { file: path.join(folder, name), to: target, runStatus: status },
      }),
    );
    this.deps.logger.info('inbox:filed', { jobId: job.job.id, runId, to: target, runStatus: status });
  }
}

/**
 * Moves `from` into `dir` as `name`, or `name.1`, `name.2`, … when that name is taken: a hard link that
 * fails on an existing name (never overwriting a filed file), then the old name removed.
 */
async function placeWithoutOverwriting(from: string, dir: string, name: string): Promise<string> {
  for (let n = 0; ; n++) {
    const candidate = path.join(dir, n ? `${name}.${n}` : name);
    try {
      await fs.promises.link(from, candidate);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    await fs.promises.unlink(from);
    return candidate;
  }
}

/**
 * One folder, one job: two jobs on the same inbox would each file the other's files (moving one while the
 * other's run reads it). Refused when a job is defined.
 */
export async function refuseSharedInbox(ds: DataSource, def: JobDefinition): Promise<void> {
  if (!def.trigger) return;
  const folder = path.resolve(splitInbox(def.trigger.inbox).folder);
  const rows = (await ds.query(
    `SELECT j.name, v.definition->'trigger'->>'inbox' AS inbox
       FROM jobs j JOIN job_versions v ON v.job_id = j.id AND v.version = j.current_version
      WHERE v.definition ? 'trigger' AND j.name <> $1`,
    [def.name],
  )) as { name: string; inbox: string }[];
  const other = rows.find((r) => path.resolve(splitInbox(r.inbox).folder) === folder);
  if (other)
    throw new StrongroomError(
      ErrorCode.FAILED_PRECONDITION,
      `the inbox ${folder} is job ${other.name}'s already: give each job a folder of its own (a file is filed by the one job that loads it)`,
    );
}
