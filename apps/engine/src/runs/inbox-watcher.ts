// File arrival: a job with `trigger: { inbox, settleSeconds }` runs on every new, complete file that lands in
// its inbox, with no command. Every replica watches; the run is made by createRun, whose unique index on
// (job, file SHA-256) lets exactly one run exist per file content however many replicas (or copies of the
// file under other names) see it. A file leaves the inbox only once its run has ended — to processed/ when
// the run SUCCEEDED (or the content was already loaded), to failed/ otherwise — so an engine that dies
// between seeing a file and its run ending leaves it where the next look finds it: nothing is lost, nothing
// runs twice.
import fs from 'node:fs';
import path from 'node:path';
import { appendAudit } from '@strongroom/audit';
import { confineSourcePath, type SourceRoots } from '@strongroom/connectors';
import { type DataSource, sqlExec, TERMINAL_RUN_STATUSES } from '@strongroom/db';
import { type Logger } from '@strongroom/logging';
import {
  createRun,
  getJob,
  getRun,
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
  /** The run this content became, once submitted. */
  runId?: string;
}

export interface InboxWatcherDeps {
  ds: DataSource;
  sourceRoots: SourceRoots;
  /** Hands a new PENDING run to this replica's scheduler. */
  submit: (runId: string) => void;
  logger: Logger;
  /** Milliseconds (injected in tests). */
  now?: () => number;
}

/** Jobs whose current version has a trigger. */
async function triggeredJobs(ds: DataSource): Promise<JobWithDefinition[]> {
  const rows = (await ds.query(
    `SELECT j.id FROM jobs j JOIN job_versions v ON v.job_id = j.id AND v.version = j.current_version
      WHERE v.definition ? 'trigger' ORDER BY j.name`,
  )) as { id: string }[];
  return Promise.all(rows.map((r) => getJob(ds, r.id)));
}

export class InboxWatcher {
  private readonly seen = new Map<string, Seen>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly warned = new Set<string>();

  constructor(private readonly deps: InboxWatcherDeps) {}

  /** Looks at every inbox every `pollMs`. */
  start(pollMs: number): void {
    this.timer = setInterval(() => void this.tick(), pollMs);
    void this.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One look at every inbox (never two at once). */
  tick(): Promise<void> {
    this.running ??= this.lookOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async lookOnce(): Promise<void> {
    let jobs: JobWithDefinition[];
    try {
      jobs = await triggeredJobs(this.deps.ds);
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
    const now = (this.deps.now ?? Date.now)();
    for (const entry of entries) {
      if (!entry.isFile() || NOT_A_FILE.test(entry.name) || !matchesInboxPattern(entry.name, pattern)) continue;
      const file = path.join(folder, entry.name);
      const key = `${job.job.id}\0${file}`;
      let stat: fs.Stats;
      try {
        stat = await fs.promises.stat(file);
      } catch {
        this.seen.delete(key); // moved away meanwhile (by another replica)
        continue;
      }
      let s = this.seen.get(key);
      if (!s || s.size !== stat.size || s.mtimeMs !== stat.mtimeMs) {
        s = { size: stat.size, mtimeMs: stat.mtimeMs, since: now };
        this.seen.set(key, s);
      }
      const marked = names.has(`${entry.name}.done`);
      if (!s.runId && !marked && now - s.since < trigger.settleSeconds * 1000) continue; // still arriving
      if (!s.runId) {
        // content whose run failed is filed in failed/, not tried again (by this or another replica): a retry
        // is an operator's `run --file`, or a corrected file
        const { run, existing } = await createRun(this.deps.ds, job, this.deps.sourceRoots, INBOX_ACTOR, file, {
          noRetry: true,
        });
        if (!existing || run.status === 'PENDING') this.deps.submit(run.id);
        s.runId = run.id;
        this.deps.logger.info(existing ? 'inbox:already-loaded' : 'inbox:run-started', {
          jobId: job.job.id,
          file,
          runId: run.id,
          status: run.status,
        });
      }
      const run = await getRun(this.deps.ds, s.runId);
      if (!TERMINAL_RUN_STATUSES.includes(run.status)) continue;
      await this.file(job, folder, entry.name, marked, run.id, run.status);
      this.seen.delete(key);
    }
  }

  /** The file (and its marker) out of the inbox once its run ended: processed/ or failed/ beside it, audited. */
  private async file(
    job: JobWithDefinition,
    folder: string,
    name: string,
    marked: boolean,
    runId: string,
    status: string,
  ): Promise<void> {
    const to = path.join(folder, status === 'SUCCEEDED' ? 'processed' : 'failed');
    await fs.promises.mkdir(to, { recursive: true });
    const target = await freeName(to, name);
    try {
      await fs.promises.rename(path.join(folder, name), target); // atomic: one replica moves it
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // another replica did
      throw err;
    }
    if (marked) await fs.promises.rename(path.join(folder, `${name}.done`), `${target}.done`).catch(() => undefined);
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

/** `name` in `dir`, or `name.1`, `name.2`, … when a file of that name is there already (never overwritten). */
async function freeName(dir: string, name: string): Promise<string> {
  for (let n = 0; ; n++) {
    const candidate = path.join(dir, n ? `${name}.${n}` : name);
    try {
      await fs.promises.access(candidate);
    } catch {
      return candidate;
    }
  }
}
