import { type ServerWritableStream, type UntypedHandleCall } from '@grpc/grpc-js';
import { type JobServiceServer, type WatchRunRequest, type WatchRunResponse } from '@strongroom/contract';
import { ACTION_ROLES, describeRoles, mayDo } from '@strongroom/auth';
import { confineSourcePath, hideRootPaths, rootRelativePath, type SourceRoots } from '@strongroom/connectors';
import { type DataSource, TERMINAL_RUN_STATUSES, type JobRunEntity, sqlExec } from '@strongroom/db';
import { type Logger } from '@strongroom/logging';
import {
  createRun,
  getJob,
  getRun,
  listJobs,
  listRuns,
  listRunPartitions,
  runThroughput,
  parseJobDefinition,
  confineJobPaths,
  saveJob,
  isUuid,
  canonicalDefinition,
  withDefinitions,
  operatorText,
  type Sla,
} from '@strongroom/pipeline';
import { type Breaker } from '@strongroom/resilience';
import { type RunScheduler } from '../runs/run-scheduler';
import { refuseSharedInbox } from '../runs/inbox-watcher';
import { type FourEyes } from '../compliance/four-eyes';
import { decryptField, isEncrypted, type KeyProvider } from '@strongroom/compliance';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import {
  AS_STORED,
  jobToProto,
  partitionToProto,
  runToProto,
  statusFromProto,
  type PathView,
  type RunJobInfo,
} from './mappers';
import { required, requireAction, streamScope, unary, type CallScope, type Caller } from './call-scope';
import { toServiceError } from './status-map';

export interface JobServiceDeps {
  ds: DataSource;
  /** Where job sources may be (STRONGROOM_SOURCE_ROOTS): a job's base directory and file are checked at CreateJob and RunJob. */
  sourceRoots: SourceRoots;
  db?: Breaker;
  scheduler: RunScheduler;
  logger: Logger;
  /** Four eyes: a retention or classification change becomes a request another person approves (when enabled). */
  fourEyes?: FourEyes;
  /** Field keys: published rows are read with their RESTRICTED values decrypted (role consumer). */
  fieldKeys?: KeyProvider;
}

/** An optional reason for pause, resume or cancel: trimmed, at most 2000 characters, card numbers masked. */
function givenReason(reason: string): string | undefined {
  return reason.trim() ? operatorText(reason, 'the reason') : undefined;
}

/** Minimum interval between progress messages on one WatchRun stream. */
const WATCH_INTERVAL_MS = 200;

const runKey = (r: JobRunEntity) => `${r.jobId}|${r.jobVersion}`;

/** Job name and the SLA of the job version each run used. */
async function jobInfo(ds: DataSource, runs: JobRunEntity[]): Promise<Map<string, RunJobInfo>> {
  const keys = [...new Set(runs.map((r) => `${r.jobId}|${r.jobVersion}`))];
  if (!keys.length) return new Map();
  const rows = (await ds.query(
    `SELECT j.id, v.version, j.name, v.definition->'sla' AS sla
       FROM jobs j JOIN job_versions v ON v.job_id = j.id
      WHERE (j.id::text || '|' || v.version::text) = ANY($1::text[])`,
    [keys],
  )) as { id: string; version: number; name: string; sla: Sla | null }[];
  return new Map(rows.map((r) => [`${r.id}|${r.version}`, { name: r.name, sla: r.sla }]));
}

export function jobServiceHandlers(deps: JobServiceDeps): JobServiceServer & Record<string, UntypedHandleCall> {
  const { ds, scheduler } = deps;
  const scope: CallScope = { logger: deps.logger, ...(deps.db ? { db: deps.db } : {}) };
  // viewers see source paths relative to their root; staff as the host has them
  const relative: PathView = {
    path: (p) => rootRelativePath(p, deps.sourceRoots),
    text: (t) => hideRootPaths(t, deps.sourceRoots),
  };
  const viewFor = (caller: Caller): PathView => (mayDo(caller.roles, 'ReadHostSourcePaths') ? AS_STORED : relative);
  const runWithName = async (run: JobRunEntity, caller: Caller) =>
    runToProto(run, (await jobInfo(ds, [run])).get(runKey(run)), viewFor(caller));
  return {
    createJob: unary(scope, 'CreateJob', async (req, log, actor, caller) => {
      if (req.baseDir) confineSourcePath(req.baseDir, deps.sourceRoots, 'base directory');
      const def = parseJobDefinition(required(req.definition, 'definition'), req.baseDir || undefined);
      confineJobPaths(def, deps.sourceRoots);
      // a KYC job writes the KYC register: defining one, or changing one into something else, is for those who may
      const [current] = (await ds.query(
        `SELECT v.definition->'source'->>'kind' AS kind FROM jobs j
           JOIN job_versions v ON v.job_id = j.id AND v.version = j.current_version WHERE j.name = $1`,
        [def.name],
      )) as { kind: string }[];
      if (def.source.kind === 'kyc' || current?.kind === 'kyc')
        requireAction(caller, 'WriteKycRegister', 'a KYC job (it writes the KYC register)');
      await refuseSharedInbox(ds, def);
      // an operator defines and changes jobs; how long their data is kept, how it is classified and which
      // controls apply to it (the compliance block) is for auditors and admins (ACTION_ROLES)
      const action = 'CreateJob.changeRetentionOrClassification';
      const mayChangeRetention = mayDo(caller.roles, action);
      // with four eyes, a change of compliance settings is a request another person approves (decided under
      // the job's lock, so no version lands between the comparison and the save)
      const fourEyes = mayChangeRetention && deps.fourEyes?.enabled ? deps.fourEyes : undefined;
      const { job, created } = await saveJob(ds, def, actor, {
        mayChangeRetention,
        refusal: `needs ${describeRoles(ACTION_ROLES[action])}`,
        ...(fourEyes
          ? {
              approve: (changes: string[]) =>
                fourEyes.gate(
                  'ChangeJobRetention',
                  { definition: req.definition, baseDir: req.baseDir },
                  `job ${def.name}: ${changes.join(' and ')}`.slice(0, 1900),
                  caller,
                ),
            }
          : {}),
      });
      log.info(created ? 'job:saved' : 'job:unchanged', { jobId: job.id, name: job.name, version: job.currentVersion });
      return { job: jobToProto(job, canonicalDefinition(def).json, viewFor(caller)), created };
    }),
    getJob: unary(scope, 'GetJob', async (req, _log, _actor, caller) => {
      const j = await getJob(ds, required(req.jobId, 'job_id'));
      return { job: jobToProto(j.job, j.definitionJson, viewFor(caller)) };
    }),
    listJobs: unary(scope, 'ListJobs', async (req, _log, _actor, caller) => {
      const { jobs, next } = await listJobs(ds, req.pageSize, req.pageToken || undefined, req.jobIds);
      const full = await withDefinitions(ds, jobs);
      return { jobs: full.map((j) => jobToProto(j.job, j.definitionJson, viewFor(caller))), nextPageToken: next };
    }),
    runJob: unary(scope, 'RunJob', async (req, log, actor, caller) => {
      const job = await getJob(ds, required(req.jobId, 'job_id'));
      if (job.definition.source.kind === 'kyc')
        requireAction(caller, 'WriteKycRegister', 'running a KYC job (it writes the KYC register)');
      const { run, existing } = await createRun(ds, job, deps.sourceRoots, actor, req.file || undefined);
      if (!existing || run.status === 'PENDING') scheduler.submit(run.id); // idempotent for queued runs
      log.info(existing ? 'run:existing' : 'run:queued', {
        jobId: job.job.id,
        runId: run.id,
        sha256: run.sourceSha256,
      });
      return {
        run: runToProto(run, { name: job.job.name, sla: job.definition.sla ?? null }, viewFor(caller)),
        existing,
      };
    }),
    getRun: unary(scope, 'GetRun', async (req, _log, _actor, caller) => ({
      run: await runWithName(await getRun(ds, required(req.runId, 'run_id')), caller),
    })),
    listRuns: unary(scope, 'ListRuns', async (req, _log, _actor, caller) => {
      const { runs, next } = await listRuns(
        ds,
        { jobId: req.jobId || undefined, status: statusFromProto(req.status) },
        req.pageSize,
        req.pageToken || undefined,
      );
      const info = await jobInfo(ds, runs);
      return { runs: runs.map((r) => runToProto(r, info.get(runKey(r)), viewFor(caller))), nextPageToken: next };
    }),
    cancelRun: unary(scope, 'CancelRun', async (req, log, actor, caller) => {
      const run = await scheduler.cancel(required(req.runId, 'run_id'), actor, givenReason(req.reason));
      log.info('run:cancel-requested', { runId: run.id, status: run.status });
      return { run: await runWithName(run, caller) };
    }),
    pauseRun: unary(scope, 'PauseRun', async (req, log, actor, caller) => {
      const run = await scheduler.pause(required(req.runId, 'run_id'), actor, givenReason(req.reason));
      log.info('run:pause-requested', { runId: run.id });
      return { run: await runWithName(run, caller) };
    }),
    resumeRun: unary(scope, 'ResumeRun', async (req, log, actor, caller) => {
      const run = await scheduler.resume(required(req.runId, 'run_id'), actor, givenReason(req.reason));
      log.info('run:resume-requested', { runId: run.id, status: run.status });
      return { run: await runWithName(run, caller) };
    }),
    getRunThroughput: unary(scope, 'GetRunThroughput', async (req) => {
      const run = await getRun(ds, required(req.runId, 'run_id')); // NOT_FOUND for an unknown run
      return runThroughput(sqlExec(ds), run.id);
    }),
    listRunPartitions: unary(scope, 'ListRunPartitions', async (req) => {
      const runId = required(req.runId, 'run_id');
      const run = await getRun(ds, runId); // NOT_FOUND for an unknown run
      return { partitions: (await listRunPartitions(sqlExec(ds), run.id)).map(partitionToProto) };
    }),
    listPublishedTransactions: unary(scope, 'ListPublishedTransactions', async (req) => {
      const runId = required(req.runId, 'run_id');
      if (!isUuid(runId)) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'run_id is not a run id');
      const size = req.pageSize || 100;
      if (size < 1 || size > 1000)
        throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'page_size must be between 1 and 1000');
      const after = req.pageToken ? Number(req.pageToken.replace(/^t/, '')) : 0;
      if (!Number.isSafeInteger(after) || after < 0)
        throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'page_token is not one this engine gave');
      const run = await getRun(ds, runId);
      if (run.status !== 'SUCCEEDED')
        throw new StrongroomError(ErrorCode.FAILED_PRECONDITION, `run ${runId} is ${run.status}: it published nothing`);
      const rows = (await ds.query(
        `SELECT id::text AS id, source_system, txn_id, account, counterparty_account, counterparty_name, amount::text AS amount,
                currency, booked_at, value_date::text AS value_date, reference, card_pan_masked
           FROM strongroom_run_rows($1, $2, $3) t
          WHERE EXISTS (SELECT 1 FROM job_runs r WHERE r.id = t.run_id AND r.status = 'SUCCEEDED') ORDER BY t.id`,
        [runId, after, size + 1],
      )) as Record<string, string | Date | null>[];
      const page = rows.slice(0, size);
      const clear = (column: string, v: string | Date | null) =>
        typeof v === 'string' && isEncrypted(v) && deps.fieldKeys
          ? decryptField(deps.fieldKeys, column, v)
          : ((v as string | null) ?? '');
      return {
        transactions: page.map((r) => ({
          id: String(r['id']),
          sourceSystem: String(r['source_system']),
          txnId: String(r['txn_id']),
          account: clear('account', r['account'] ?? null),
          counterpartyAccount: clear('counterparty_account', r['counterparty_account'] ?? null),
          counterpartyName: clear('counterparty_name', r['counterparty_name'] ?? null),
          amount: String(r['amount']),
          currency: String(r['currency']),
          bookedAt: r['booked_at'] as Date,
          valueDate: (r['value_date'] as string | null) ?? '',
          reference: clear('reference', r['reference'] ?? null),
          cardPanMasked: (r['card_pan_masked'] as string | null) ?? '',
        })),
        nextPageToken: rows.length > size ? `t${page[page.length - 1]?.['id']}` : '',
      };
    }),
    watchRun: (call: ServerWritableStream<WatchRunRequest, WatchRunResponse>) =>
      void streamScope(deps.logger, call, 'WatchRun').then((scope) => {
        if ('error' in scope) {
          call.emit('error', toServiceError(scope.error, deps.logger, 'WatchRun')); // sends the status, ends the call
          return;
        }
        if (!call.cancelled) watch(call, scope.log, scope.caller);
      }),
  };

  function watch(call: ServerWritableStream<WatchRunRequest, WatchRunResponse>, log: Logger, caller: Caller): void {
    const view = viewFor(caller);
    let unsubscribe: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    let lastSent = 0;
    let pending: JobRunEntity | undefined;
    let info: RunJobInfo | undefined;
    const finish = () => {
      unsubscribe?.();
      clearTimeout(timer);
    };
    const send = (run: JobRunEntity) => {
      if (call.cancelled || call.writableEnded) return;
      const terminal = TERMINAL_RUN_STATUSES.includes(run.status);
      const now = Date.now();
      if (!terminal && now - lastSent < WATCH_INTERVAL_MS) {
        pending = run;
        timer ??= setTimeout(() => {
          timer = undefined;
          if (pending) send(pending);
        }, WATCH_INTERVAL_MS);
        return;
      }
      pending = undefined;
      lastSent = now;
      call.write({ run: runToProto(run, info, view) });
      if (terminal) {
        finish();
        call.end();
      }
    };
    call.on('cancelled', finish);
    (async () => {
      const runId = required(call.request.runId, 'run_id');
      unsubscribe = scheduler.watch(runId, send); // subscribe first: no progress lost between read and subscribe
      const run = await getRun(ds, runId);
      info = (await jobInfo(ds, [run])).get(runKey(run));
      send(run);
    })().catch((err) => {
      finish();
      call.destroy(toServiceError(err, log, 'WatchRun') as Error);
    });
  }
}
