import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { confineSourcePath, type SourceRoots } from '@strongroom/connectors';
import { type DataSource, JobRunEntity, type RunStatus, sqlExec, type SqlExec } from '@strongroom/db';
import { appendAudit } from '@strongroom/audit';
import { ErrorCode, StrongroomError, pgErrorCode } from '@strongroom/errors';
import { asFileJob } from '../jobs/job-definition';
import { isUuid, type JobWithDefinition } from '../jobs/job-store';
import { keysetPage } from '../paging';

/** SHA-256 and size of a file, streamed (memory independent of size). */
export async function fileDigest(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    await pipeline(fs.createReadStream(path), async (src: AsyncIterable<Buffer>) => {
      for await (const chunk of src) {
        bytes += chunk.length;
        hash.update(chunk);
      }
    });
  } catch (err) {
    throw new StrongroomError(
      ErrorCode.SOURCE_UNAVAILABLE,
      `source file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause: err },
    );
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Creates a PENDING run of the job's current version over its source file. Submitting the same file
 * (same SHA-256) to the same job while an earlier run of it is live or succeeded returns that run
 * (`existing: true`); a unique index decides races, so ten concurrent submissions yield one run. With
 * `roots`, a file outside the source roots is refused (SOURCE_OUTSIDE_ROOTS) before it is read.
 */
export async function createRun(
  ds: DataSource,
  job: JobWithDefinition,
  roots?: SourceRoots,
  requestedBy?: string,
  file?: string,
  options: { noRetry?: boolean } = {},
): Promise<{ run: JobRunEntity; existing: boolean }> {
  const sourcePath = runSourcePath(asFileJob(job.definition).source.path, file);
  // inside the roots before the file is hashed — and the file hashed is the one checked (its real path)
  const { sha256, bytes } = await fileDigest(roots ? confineSourcePath(sourcePath, roots) : sourcePath);
  // noRetry (an inbox): content that has a run — live, succeeded, failed or cancelled — is that run, never a
  // new attempt. Decided on one read: reading "not ended" and then "not live" could see a run fail in between
  // and start a second one.
  const latest = options.noRetry ? await findLatestRun(ds, job.job.id, sha256) : null;
  const result = latest ? { run: latest, existing: true } : await insertRunOnce(ds, job, sourcePath, sha256, bytes);
  // who asked for the run (the executor, later, audits run:started as the engine that carries it out)
  if (requestedBy)
    await ds.transaction((em) =>
      appendAudit(sqlExec(em), {
        actor: requestedBy,
        action: 'run:requested',
        subject: { jobId: job.job.id, runId: result.run.id },
        details: { sha256, bytes, existing: result.existing },
      }),
    );
  return result;
}

/**
 * The file a run reads: the definition's source path, or the file given for this run (a relative one is
 * taken from the directory of the definition's path — where the job's files are).
 */
export function runSourcePath(definitionPath: string | undefined, file?: string): string {
  const given = file?.trim();
  if (!given) {
    if (definitionPath === undefined)
      throw new StrongroomError(
        ErrorCode.FAILED_PRECONDITION,
        'this job has no source.path: it loads the files its inbox receives, or give the file to run it on',
      );
    return definitionPath;
  }
  if (definitionPath === undefined && !isAbsolute(given))
    throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'file must be an absolute path: this job has no source.path');
  if (given.includes('\0')) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'file is not a path');
  return definitionPath === undefined ? given : resolve(dirname(definitionPath), given);
}

/**
 * Inserts a PENDING run for (job, source digest) unless a run of the same source is live or
 * succeeded — then that run is returned (`existing: true`). A unique index decides races.
 */
export async function insertRunOnce(
  ds: DataSource,
  job: JobWithDefinition,
  sourcePath: string,
  sha256: string,
  bytes: number,
): Promise<{ run: JobRunEntity; existing: boolean }> {
  const found = await findLiveRun(ds, job.job.id, sha256);
  if (found) return { run: found, existing: true };
  const run = ds.getRepository(JobRunEntity).create({
    id: randomUUID(),
    jobId: job.job.id,
    jobVersion: job.job.currentVersion,
    status: 'PENDING',
    sourcePath,
    sourceSha256: sha256,
    sourceBytes: String(bytes),
    recordsRead: '0',
    recordsLoaded: '0',
    recordsDeadLettered: '0',
    recordsFiltered: '0',
    filteredByReason: {},
    bytesRead: '0',
    batchesCommitted: 0,
    attempts: 0,
    createdAt: new Date(),
  });
  try {
    await ds.getRepository(JobRunEntity).insert(run);
    return { run, existing: false };
  } catch (err) {
    if (pgErrorCode(err) === '23505') {
      const raced = await findLiveRun(ds, job.job.id, sha256);
      if (raced) return { run: raced, existing: true };
    }
    throw err;
  }
}

async function findLatestRun(ds: DataSource, jobId: string, sha256: string): Promise<JobRunEntity | null> {
  return (
    ds
      .getRepository(JobRunEntity)
      .createQueryBuilder('r')
      .where('r.job_id = :jobId AND r.source_sha256 = :sha256', { jobId, sha256 })
      // the live run when there is one (at most one: the unique index), else the newest ended one
      .orderBy(`CASE WHEN r.status IN ('FAILED','CANCELLED') THEN 1 ELSE 0 END`, 'ASC')
      .addOrderBy('r.created_at', 'DESC')
      .limit(1)
      .getOne()
  );
}

async function findLiveRun(ds: DataSource, jobId: string, sha256: string): Promise<JobRunEntity | null> {
  return ds
    .getRepository(JobRunEntity)
    .createQueryBuilder('r')
    .where('r.job_id = :jobId AND r.source_sha256 = :sha256', { jobId, sha256 })
    .andWhere(`r.status NOT IN ('FAILED','CANCELLED')`)
    .getOne();
}

export async function getRun(ds: DataSource, runId: string): Promise<JobRunEntity> {
  const run = isUuid(runId) ? await ds.getRepository(JobRunEntity).findOne({ where: { id: runId } }) : null;
  if (!run) throw new StrongroomError(ErrorCode.NOT_FOUND, `run ${runId} not found`);
  return run;
}

export interface RunFilter {
  jobId?: string;
  status?: RunStatus;
}

/** Runs newest first, optionally filtered, keyset-paginated. */
export async function listRuns(
  ds: DataSource,
  filter: RunFilter,
  size: number | undefined,
  token: string | undefined,
): Promise<{ runs: JobRunEntity[]; next: string }> {
  const qb = ds.getRepository(JobRunEntity).createQueryBuilder('r');
  if (filter.jobId) {
    if (!isUuid(filter.jobId)) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'job_id is not a job id');
    qb.andWhere('r.job_id = :jobId', { jobId: filter.jobId });
  }
  if (filter.status) qb.andWhere('r.status = :status', { status: filter.status });
  const { page, next } = await keysetPage(qb, 'r', size, token);
  return { runs: page, next };
}

/**
 * A run's throughput over its time, from its committed batches: the records each batch read (its first to
 * last record) at the moment it committed, summed into equal steps since the run started (at most
 * `maxSteps`, at least a tenth of a second each, so that even a short run draws a line). Batches committed
 * after the run ended (a dead-letter replay) are left out.
 */
export async function runThroughput(
  exec: SqlExec,
  runId: string,
  maxSteps = 120,
): Promise<{ stepSeconds: number; points: { seconds: number; recordsPerSecond: number }[] }> {
  const batches = (await exec(
    `SELECT extract(epoch FROM i.created_at - r.started_at)::float8 AS t,
            ((i.details->>'lastRecord')::bigint - (i.details->>'firstRecord')::bigint + 1)::float8 AS n
       FROM transaction_integrity i JOIN job_runs r ON r.id = i.run_id
      WHERE i.run_id = $1 AND i.scope = 'BATCH' AND r.started_at IS NOT NULL
        AND i.details ? 'firstRecord' AND i.details ? 'lastRecord'
        AND i.created_at <= coalesce(r.finished_at, clock_timestamp())
      ORDER BY i.created_at`,
    [runId],
  )) as { t: number; n: number }[];
  if (!batches.length) return { stepSeconds: 0, points: [] };
  const span = Math.max(...batches.map((b) => b.t), 0.2);
  const step = Math.max(0.1, Math.ceil((span / maxSteps) * 10) / 10);
  const steps = Math.ceil(span / step) || 1;
  const sums = new Array<number>(steps).fill(0);
  for (const b of batches) sums[Math.min(steps - 1, Math.max(0, Math.floor(b.t / step)))] += Math.max(0, b.n);
  return {
    stepSeconds: step,
    // steps are tenths of a second: say 0.3, not 0.30000000000000004
    points: sums.map((n, k) => ({ seconds: Math.round((k + 1) * step * 10) / 10, recordsPerSecond: n / step })),
  };
}
