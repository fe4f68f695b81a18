import { openJwksSource, readOrCreateDevSecret, type BearerSettings, type JwksSource } from '@strongroom/auth';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { createPanProtector } from '@strongroom/compliance';
import { BreakerRegistry, FILE_SOURCE_POLICY, POSTGRES_POLICY, SCREENING_POLICY } from '@strongroom/resilience';
import { listCheckpoints, loadSigningKey, verifyChain } from '@strongroom/audit';
import {
  AuditServiceService,
  ComplianceServiceService,
  OpsServiceService,
  DeadLetterServiceService,
  IngestServiceService,
  JobServiceService,
  PROTO_FILES,
  PROTO_ROOT,
} from '@strongroom/contract';
import {
  createDataSource,
  ensureRuntimeLogin,
  excessPrivileges,
  runMigrations,
  RUNTIME_LOGIN,
  sqlExec,
  withLogin,
  type DataSource,
  type JobRunEntity,
} from '@strongroom/db';
import { type Logger } from '@strongroom/logging';
import {
  discardDeadLetters,
  parseJobDefinition,
  confineJobPaths,
  purgeExpired,
  releaseHold,
  RunLockHolder,
  saveJob,
  transitionAlert,
} from '@strongroom/pipeline';
import { confineSourcePath } from '@strongroom/connectors';
import { FourEyes } from './compliance/four-eyes';
import { type EngineConfig } from './config';
import { crashHook } from './crash-hook';
import { runtimeDataSource } from './runtime-data-source';
import { Checkpointer } from './audit/checkpointer';
import { DenialLog } from './audit/denial-log';
import { BreakerJournal, untilDatabaseAnswers } from './ops/breakers';
import { auditServiceHandlers } from './grpc/audit-service';
import { deadLetterServiceHandlers } from './grpc/dead-letter-service';
import { ingestServiceHandlers } from './grpc/ingest-service';
import { opsServiceHandlers } from './grpc/ops-service';
import { complianceServiceHandlers } from './grpc/compliance-service';
import { configureDeadlines } from './grpc/deadlines';
import { configureAuthentication } from './grpc/call-scope';
import { jobServiceHandlers } from './grpc/job-service';
import { loadPanKey } from './pan-key';
import { loadScreening } from './compliance/screening';
import { FileKeyRing } from './compliance/field-keys';
import { KeyRotator } from './compliance/key-rotator';
import { RunScheduler } from './runs/run-scheduler';
import { RunThreads } from './runs/run-threads';
import { InboxWatcher } from './runs/inbox-watcher';
import { ScheduleTicker } from './runs/schedule-ticker';
import { ReplicaRegistry } from './runs/replicas';
import { RunObserver } from './runs/run-observer';
import { EngineMetrics } from './ops/engine-metrics';
import { createMetricsRegistry, startMetricsServer } from '@strongroom/metrics';

export interface Engine {
  /** host:port actually bound. */
  address: string;
  /** host:port of GET /metrics, or null when metrics are off. */
  metricsAddress: string | null;
  /** Graceful: refuse new calls, let runs finish within the grace period, close the pool. */
  stop(): Promise<void>;
  /** Forceful: cancel calls, close at once. */
  forceStop(): void;
}

const SERVICE_NAME = 'strongroom.engine.v1.JobService';
const DLQ_SERVICE_NAME = 'strongroom.engine.v1.DeadLetterService';
const INGEST_SERVICE_NAME = 'strongroom.engine.v1.IngestService';
const AUDIT_SERVICE_NAME = 'strongroom.engine.v1.AuditService';
const OPS_SERVICE_NAME = 'strongroom.engine.v1.OpsService';
const COMPLIANCE_SERVICE_NAME = 'strongroom.engine.v1.ComplianceService';

/**
 * How the engine verifies bearer tokens: the development secret and/or the identity provider's keys (a
 * JWKS file, or a URL followed through key rotations — the gateway's settings and the same key source).
 */
function bearerSettings(config: EngineConfig, jwks: JwksSource | undefined): BearerSettings {
  const { auth } = config;
  return {
    hs256Secret: auth.hs256Secret === 'dev-file' ? readOrCreateDevSecret(config.home) : auth.hs256Secret,
    ...(jwks ? { jwks: jwks.keys } : {}),
    ...(auth.issuer ? { issuer: auth.issuer } : {}),
    ...(auth.audience ? { audience: auth.audience } : {}),
    maxLifetimeSeconds: auth.maxLifetimeSeconds,
  };
}

/**
 * Outside production without DATABASE_RUNTIME_URL: the runtime login strongroom_engine, created by the
 * owner with a password generated once into <home>/keys/db-runtime.password (0600). Returns its URL.
 */
async function provisionRuntimeLogin(config: EngineConfig, logger: Logger): Promise<string> {
  const file = path.join(config.home, 'keys', 'db-runtime.password');
  let fresh = false;
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      fs.writeFileSync(file, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
      fresh = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  const password = fs.readFileSync(file, 'utf8').trim();
  await ensureRuntimeLogin(config.databaseUrl, password, fresh);
  if (fresh) logger.info('db:runtime-login', { login: RUNTIME_LOGIN, passwordFile: file });
  return withLogin(config.databaseUrl, RUNTIME_LOGIN, password);
}

/** Composition root: database + migrations, scheduler, gRPC services (JobService, health, reflection). */
export async function startEngine(config: EngineConfig, logger: Logger): Promise<Engine> {
  // an engine that cannot verify anyone does not start
  const jwks = await openJwksSource({ file: config.auth.jwksFile, url: config.auth.jwksUrl }, logger);
  // migrations run as the owner (the DATABASE_URL user); everything else as the runtime role
  const migrator = createDataSource({ url: config.databaseUrl, poolSize: 2, applicationName: 'strongroom-migrate' });
  await migrator.initialize();
  try {
    const applied = await runMigrations(migrator);
    if (applied.length) logger.info('db:migrated', { applied });
  } finally {
    await migrator.destroy();
  }
  const runtimeUrl = config.runtimeDatabaseUrl ?? (await provisionRuntimeLogin(config, logger));
  const ds: DataSource = runtimeDataSource(config, runtimeUrl, config.dbPoolSize);
  await ds.initialize();
  const excess = await excessPrivileges((sql) => ds.query(sql));
  if (excess.length) {
    await ds.destroy();
    throw new Error(
      `refusing to start: the engine's database login can do more than the engine needs (${excess.join('; ')}); ` +
        'use a login that is only a member of strongroom_runtime (DATABASE_RUNTIME_URL)',
    );
  }
  const audit = loadSigningKey(config.auditKeyFile, true);
  if (audit.generated)
    logger.warn('audit-key:generated', {
      file: config.auditKeyFile,
      keyId: audit.key.keyId,
      note: 'development key; supply STRONGROOM_AUDIT_KEY_FILE in production and keep its public key with your exported checkpoints',
    });
  const checkpointer = new Checkpointer(
    ds,
    audit.key,
    logger,
    config.auditCheckpointEvery,
    config.auditCheckpointSeconds,
  );
  const panKey = loadPanKey(config.panKeyFile, logger);
  const pan = createPanProtector(panKey);
  // every dependency behind a breaker; transitions are durable (table + audit), logged and drive health
  const breakers = new BreakerRegistry();
  const db = breakers.get(POSTGRES_POLICY);
  const journal = new BreakerJournal(ds, logger);
  breakers.onTransition((t) => journal.record(t));
  const screening = await loadScreening(
    config.sanctionsListFiles,
    config.screeningThreshold,
    breakers.get(SCREENING_POLICY),
    ds,
    logger,
  );
  const fieldKeys = new FileKeyRing(config.fieldKeysFile, logger);
  const registry = createMetricsRegistry('engine');
  const runContext = {
    ds,
    logger,
    pan,
    actor: 'service:engine',
    db,
    source: breakers.get(FILE_SOURCE_POLICY),
    screening,
    fieldKeys,
    sourceRoots: config.sourceRoots,
    streamLocks: new RunLockHolder(ds),
    replicaId: config.replicaId,
    leaseTtlMs: config.leaseTtlMs,
    partitionBytes: config.partitionBytes,
    onBatchCommitted: (job: string, ms: number) => metrics.batchCommitted(job, ms),
    onIngestProgress: (run: JobRunEntity) => observer.observe(run),
    ...crashHook(config),
  };
  const rotator = new KeyRotator(ds, fieldKeys, logger, config.keyRotationBatchSize, runContext.crash);
  // four eyes: what each governed action does once a second person approved it, as the requester
  const fourEyes = new FourEyes(
    ds,
    config.fourEyes,
    {
      ReleaseLegalHold: async (p, reason, by) => ({
        holdId: (await releaseHold(ds, String(p['holdId']), reason, by)).id,
      }),
      PurgeExpired: async (_p, _reason, by) => {
        const r = await purgeExpired(ds, config.retention, by);
        return { purged: r.purged, held: r.held, deadLettersPurged: r.deadLettersPurged };
      },
      DiscardDeadLetters: (p, reason, by) => discardDeadLetters(ds, p['ids'] as string[], reason, by),
      CloseAlert: async (p, reason, by) => ({
        alertId: (await transitionAlert(ds, String(p['id']), 'CLOSED', reason, by)).id,
      }),
      ChangeJobRetention: async (p, _reason, by) => {
        const baseDir = typeof p['baseDir'] === 'string' && p['baseDir'] ? p['baseDir'] : undefined;
        if (baseDir) confineSourcePath(baseDir, config.sourceRoots, 'base directory');
        const def = parseJobDefinition(String(p['definition']), baseDir);
        confineJobPaths(def, config.sourceRoots);
        const { job } = await saveJob(ds, def, by, { mayChangeRetention: true });
        return { jobId: job.id, version: job.currentVersion };
      },
    },
    logger,
    runContext.crash,
  );
  // run threads: in-process replicas that load a file run's partitions on the other cores
  const threads = config.runThreads
    ? await RunThreads.start(config.runThreads, { config, databaseUrl: runtimeUrl }, logger, {
        onBatchCommitted: (job, ms) => metrics.batchCommitted(job, ms),
        onBreaker: (t) => journal.record(t),
      })
    : undefined;
  const scheduler = new RunScheduler(
    runContext,
    config.maxConcurrentRuns,
    () =>
      untilDatabaseAnswers(
        db,
        () => ds.query('SELECT 1'),
        1000,
        () => stopping,
      ),
    threads,
  );
  // the breakers the engine lists and exports: its main thread's, then its run threads' (<breaker>/t<n>)
  const allBreakers = () => [...breakers.list(), ...(threads?.breakers() ?? [])];
  const metrics = new EngineMetrics(registry, {
    ds,
    db,
    breakers: allBreakers,
    activeRuns: () => scheduler.activeCount,
  });
  const observer = new RunObserver(ds, db, metrics, logger);
  scheduler.onAnyProgress((run) => observer.observe(run));
  let stopping = false;

  configureDeadlines(config.maxDeadlineMs);
  const denialLog = new DenialLog(ds, logger, config.auditDenialsSeconds);
  configureAuthentication(
    bearerSettings(config, jwks),
    denialLog,
    config.tls?.clientPrincipals,
    config.auth.unauthenticatedPerMinute,
  );
  const server = new Server({
    'grpc.max_receive_message_length': config.limits.maxMessageBytes,
    'grpc.max_concurrent_streams': config.limits.maxConcurrentStreams,
  });
  server.addService(
    JobServiceService,
    jobServiceHandlers({ ds, db, scheduler, logger, sourceRoots: config.sourceRoots, fourEyes, fieldKeys }),
  );
  server.addService(DeadLetterServiceService, deadLetterServiceHandlers({ ds, ctx: runContext, logger, fourEyes }));
  server.addService(IngestServiceService, ingestServiceHandlers({ ctx: runContext, logger, limits: config.limits }));
  server.addService(
    AuditServiceService,
    auditServiceHandlers({
      ds,
      db,
      key: audit.key,
      checkpointer,
      fieldKeys,
      logger,
      onVerified: (ok) => metrics.auditVerified(ok),
    }),
  );
  server.addService(
    OpsServiceService,
    opsServiceHandlers({ ds, breakers: allBreakers, db, logger, denials: denialLog, leaseTtlMs: config.leaseTtlMs }),
  );
  server.addService(
    ComplianceServiceService,
    complianceServiceHandlers({
      ds,
      db,
      screening,
      retention: config.retention,
      rotator,
      logger,
      fieldKeys,
      pan,
      fourEyes,
      sourceRoots: config.sourceRoots,
      report: {
        verifyChain: async () => {
          const exec = sqlExec(ds);
          return verifyChain(exec, { checkpoints: await listCheckpoints(exec), publicKey: audit.key.publicKey });
        },
        keys: [
          { purpose: 'card-number tokens (HMAC-SHA-256)', keyId: panKey.id, createdAt: fileCreated(config.panKeyFile) },
          {
            purpose: 'audit checkpoint signatures (Ed25519)',
            keyId: audit.key.keyId,
            createdAt: fileCreated(config.auditKeyFile),
          },
        ],
      },
    }),
  );
  const SERVICES = [
    '',
    SERVICE_NAME,
    DLQ_SERVICE_NAME,
    INGEST_SERVICE_NAME,
    AUDIT_SERVICE_NAME,
    OPS_SERVICE_NAME,
    COMPLIANCE_SERVICE_NAME,
  ];
  const health = new HealthImplementation(Object.fromEntries(SERVICES.map((n) => [n, 'SERVING' as const])));
  // NOT_SERVING while the database breaker is not closed: load balancers and the gateway route around us
  breakers.onTransition((t) => {
    if (t.name === db.name && !stopping)
      for (const n of SERVICES) health.setStatus(n, t.to === 'CLOSED' ? 'SERVING' : 'NOT_SERVING');
  });
  health.addToServer(server);
  const definitions = loadSync(PROTO_FILES, {
    includeDirs: [PROTO_ROOT],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
  });
  new ReflectionService(definitions).addToServer(server);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${config.host}:${config.port}`, serverCredentials(config), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  checkpointer.start();
  denialLog.start();
  observer.start();
  const metricsServer = config.metrics
    ? await startMetricsServer(registry, config.metrics.host, config.metrics.port)
    : null;
  if (metricsServer) logger.info('metrics:listening', { address: metricsServer.address });
  const address = `${config.host}:${port}`;
  const replica = new ReplicaRegistry(ds, config.replicaId);
  await replica.register(address);
  const recovered = await scheduler.recover();
  // replicas share file runs through partition leases: look for work every third of a lease
  scheduler.startPolling(Math.max(200, Math.floor(config.leaseTtlMs / 3)), config.leaseTtlMs, () => replica.beat());
  await rotator.resume();
  if (recovered.queued || recovered.resumed) logger.info('runs:recovered', recovered);
  // file arrival: every replica watches the inboxes; one run per file content, whoever sees it first
  const inbox = new InboxWatcher({
    ds,
    sourceRoots: config.sourceRoots,
    submit: (runId) => scheduler.submit(runId),
    logger,
  });
  if (config.inboxPollMs > 0) inbox.start(config.inboxPollMs);
  // schedules: every replica looks at the clock; one acts on each fire (schedule_fires)
  const schedules = new ScheduleTicker({
    ds,
    sourceRoots: config.sourceRoots,
    submit: (runId) => scheduler.submit(runId),
    logger,
    replicaId: config.replicaId,
    onFire: (job, outcome) => metrics.scheduleFired(job, outcome),
  });
  if (config.schedulePollMs > 0) schedules.start(config.schedulePollMs);

  return {
    address,
    metricsAddress: metricsServer?.address ?? null,
    async stop() {
      stopping = true;
      observer.stop();
      jwks?.stop();
      await metricsServer?.close();
      for (const n of SERVICES) health.setStatus(n, 'NOT_SERVING');
      await inbox.stop(); // no new inbox or scheduled run once the shutdown began
      await schedules.stop();
      const still = await scheduler.shutdown(config.shutdownGraceMs);
      await threads?.close();
      await replica.stopped().catch(() => undefined);
      checkpointer.stop();
      await rotator.stop();
      await checkpointer.checkpointNow().catch((err) => logger.warn('audit:checkpoint-failed', { error: String(err) }));
      if (still.length) logger.warn('engine:runs-interrupted', { runIds: still });
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 5000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      breakers.shutdown();
      await denialLog.stop(); // the last denials, after the server took its last call
      await runContext.streamLocks.close();
      await ds.destroy();
    },
    forceStop() {
      server.forceShutdown();
      void threads?.close();
      void ds.destroy();
    },
  };
}

/** When a key file was written (its age, for the PCI DSS report); undefined when unknown. */
function fileCreated(file: string): Date | undefined {
  try {
    const st = fs.statSync(file);
    return st.birthtimeMs > 0 ? st.birthtime : st.mtime;
  } catch {
    return undefined;
  }
}

/** Plaintext on loopback by default; TLS with the configured certificate; mutual TLS with a client CA. */
function serverCredentials(config: EngineConfig): ServerCredentials {
  if (!config.tls) return ServerCredentials.createInsecure();
  const ca = config.tls.clientCa ? fs.readFileSync(config.tls.clientCa) : null;
  return ServerCredentials.createSsl(
    ca,
    [{ cert_chain: fs.readFileSync(config.tls.cert), private_key: fs.readFileSync(config.tls.key) }],
    ca !== null,
  );
}
