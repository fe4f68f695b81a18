import os from 'node:os';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, ROLES, type Role } from '@strongroom/auth';
import { sanctionsListFiles } from '@strongroom/compliance';
import { sourceRoots, type SourceRoots } from '@strongroom/connectors';
import { ConfigError, defaultRunThreads, fractionString, intString, parseEnv, type Env } from '@strongroom/config';

/**
 * Engine configuration: the only place that reads process.env. Parsed once, frozen; a bad value
 * stops the engine at start naming the variable. Each option: default and trade-off.
 */
const schema = z.object({
  /** PostgreSQL URL (required; `strongroom serve` passes the embedded cluster's). */
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  /** Interface to bind. Default loopback; bind wider only with TLS (ENGINE_TLS_CERT_FILE). */
  ENGINE_HOST: z.string().default('127.0.0.1'),
  /** TLS for gRPC: the engine's certificate and key (PEM). Unset: plaintext, loopback only. */
  ENGINE_TLS_CERT_FILE: z.string().optional(),
  ENGINE_TLS_KEY_FILE: z.string().optional(),
  /** Mutual TLS: only clients with a certificate signed by this CA (PEM) may connect (e.g. the gateway). */
  ENGINE_TLS_CLIENT_CA_FILE: z.string().optional(),
  /**
   * Mutual TLS: client certificates that identify a principal on their own, when a call carries no bearer
   * token: "<certificate CN>=<role>[,<role>]" separated by ";" (e.g. "strongroom-gateway=gateway"). The
   * audit actor is "cert:<CN>". A call with a bearer token is always the token's subject. Needs
   * ENGINE_TLS_CLIENT_CA_FILE.
   */
  ENGINE_TLS_CLIENT_PRINCIPALS: z.string().optional(),
  /** gRPC port; 0 picks a free one (tests). */
  ENGINE_PORT: intString(0, 65535).default(50051),
  /** Embedded data and keys live here. */
  STRONGROOM_HOME: z.string().default('.strongroom'),
  /** HMAC key file for card-number tokens ("<keyId>:<base64 secret ≥ 32 bytes>"). Default <home>/keys/pan-hmac.key, generated on first start (dev only). */
  STRONGROOM_PAN_KEY_FILE: z.string().optional(),
  /** Field-encryption key ring ("<keyId>:<base64 32 bytes>" per line, last is current, plus "index:<base64>"). Default <home>/keys/field-keys, generated on first start (dev only). */
  STRONGROOM_FIELD_KEYS_FILE: z.string().optional(),
  /** Rows re-encrypted per transaction during a key rotation. */
  KEY_ROTATION_BATCH_SIZE: intString(1, 100_000).default(1000),
  /** Ed25519 key (PKCS#8 PEM) that signs audit checkpoints. Default <home>/keys/audit-ed25519.pem, generated on first start (dev only). */
  STRONGROOM_AUDIT_KEY_FILE: z.string().optional(),
  /** Sign a checkpoint after this many new audit entries… */
  AUDIT_CHECKPOINT_EVERY: intString(1, 10_000_000).default(1000),
  /** …or after this many seconds with new entries. */
  AUDIT_CHECKPOINT_SECONDS: intString(1, 86_400).default(60),
  /**
   * Four eyes: "on" makes releasing a hold, purging, discarding dead letters, closing an alert and changing a
   * job's retention or classification a request that another person approves. Default: on in production,
   * off otherwise.
   */
  STRONGROOM_FOUR_EYES: z.enum(['on', 'off'], { error: 'must be "on" or "off"' }).optional(),
  /**
   * Set by `serve`/`start` for the processes they supervise: the process ignores the terminal's Ctrl-C (its
   * supervisor stops it, in order) and stops gracefully when the supervisor goes away (its stdin closes).
   */
  STRONGROOM_SUPERVISED: z.enum(['1'], { error: 'must be "1" or unset' }).optional(),
  /** Refused calls are counted and written to the audit chain as one `access:denied` entry per this many seconds. */
  AUDIT_DENIALS_SECONDS: intString(1, 3600).default(10),
  /**
   * The login of the engine's pooled sessions: a role that is a member of strongroom_runtime and nothing
   * more (not a superuser, no CREATEROLE/CREATEDB/BYPASSRLS, not the owner). Required in production.
   * Outside production, when unset, the engine creates the login strongroom_engine with a generated
   * password kept in <home>/keys/db-runtime.password (0600). DATABASE_URL (the owner) only migrates.
   */
  DATABASE_RUNTIME_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /**
   * How the engine verifies callers' bearer tokens — the same settings as the gateway's. Development:
   * GATEWAY_JWT_SECRET (HS256), else the secret in <home>/keys/gateway-jwt.secret (created on first start).
   * Production: GATEWAY_JWKS_FILE or GATEWAY_JWKS_URL (https; fetched at start, again for a key it does not
   * know and every 10 minutes) with GATEWAY_JWT_ISSUER and GATEWAY_JWT_AUDIENCE (required), no HS256.
   */
  GATEWAY_JWT_SECRET: z.string().min(32, 'must have at least 32 characters').optional(),
  GATEWAY_JWKS_FILE: z.string().optional(),
  GATEWAY_JWKS_URL: z
    .string()
    .regex(/^https?:\/\//, 'must be an http(s) URL')
    .optional(),
  GATEWAY_JWT_ISSUER: z.string().optional(),
  GATEWAY_JWT_AUDIENCE: z.string().optional(),
  /**
   * Calls without a valid credential allowed per client address and minute; beyond it, that address is
   * answered RESOURCE_EXHAUSTED before its token is looked at, until the bucket refills (default 60).
   */
  ENGINE_UNAUTHENTICATED_RATE_LIMIT_PER_MINUTE: intString(1, 1_000_000).default(60),
  /** Longest bearer-token lifetime accepted, seconds (default 12 h). */
  GATEWAY_MAX_TOKEN_LIFETIME_SECONDS: intString(60, 30 * 86400).default(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS),
  /**
   * The only folders the engine reads source files from, separated like PATH (":"). Default: <home>/inbox
   * and, outside production, the engine's working folder. Nothing else under <home> (keys, database) and
   * nothing in /proc, /sys or /dev is ever readable; paths are checked after resolving symlinks.
   */
  STRONGROOM_SOURCE_ROOTS: z.string().optional(),
  /** Sanctions list files (OFAC SDN CSV: sdn.csv, alt.csv), comma-separated. Default: every .csv in <home>/sanctions/. */
  STRONGROOM_SANCTIONS_LISTS: z.string().optional(),
  /** Screening score at or above which a counterparty name is a hit, in (0, 1]. */
  SCREENING_THRESHOLD: fractionString().default(0.9),
  /** Retention per data classification, days (rows are kept by booking date; a job's own retentionDays wins). Default 7 years. */
  RETENTION_DAYS_PUBLIC: intString(1, 36_500).default(2557),
  RETENTION_DAYS_INTERNAL: intString(1, 36_500).default(2557),
  RETENTION_DAYS_CONFIDENTIAL: intString(1, 36_500).default(2557),
  RETENTION_DAYS_RESTRICTED: intString(1, 36_500).default(2557),
  /** Port of the Prometheus endpoint (GET /metrics). Default 9464, or a free port when ENGINE_PORT is 0; "off" serves none. */
  ENGINE_METRICS_PORT: z.union([z.literal('off'), intString(0, 65535)]).optional(),
  /** Interface the metrics endpoint binds to (keep it internal: it needs no credentials). */
  ENGINE_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Runs executing at once; more queue as PENDING. Each run uses one DB connection and ~one core. */
  ENGINE_MAX_CONCURRENT_RUNS: intString(1, 64).default(2),
  /** How often the inboxes of jobs with a trigger are looked at, ms; 0: never (this replica starts no inbox runs). */
  ENGINE_INBOX_POLL_MS: intString(0, 3_600_000).default(2000),
  /** How often the schedules of jobs are checked for fires, ms; 0: this replica fires none. */
  ENGINE_SCHEDULE_POLL_MS: intString(0, 60_000).default(15_000),
  /** An ingest stream that sends nothing for this long is ended (DEADLINE_EXCEEDED); reopen with the same stream_id. */
  ENGINE_INGEST_IDLE_TIMEOUT_MS: intString(1000, 3_600_000).default(60_000),
  /** Open ingest streams one caller (token subject) may hold at once; more are refused (RESOURCE_EXHAUSTED). */
  ENGINE_INGEST_STREAMS_PER_PRINCIPAL: intString(1, 10_000).default(4),
  /** Open ingest streams of all callers at once. */
  ENGINE_MAX_INGEST_STREAMS: intString(1, 100_000).default(64),
  /** Largest gRPC message the engine accepts, bytes (an ingest batch must fit). Default 4 MiB. */
  ENGINE_MAX_MESSAGE_BYTES: intString(1024, 256 * 1024 * 1024).default(4 * 1024 * 1024),
  /** Concurrent calls (HTTP/2 streams) on one client connection. */
  ENGINE_MAX_CONCURRENT_STREAMS: intString(1, 100_000).default(100),
  /** Connection pool size. Must exceed the concurrent runs plus API traffic. */
  DB_POOL_SIZE: intString(2, 200).default(10),
  /** statement_timeout per session, ms (0 = none). Longer lets huge batches finish; shorter fails fast. */
  DB_STATEMENT_TIMEOUT_MS: intString(0, 86_400_000).default(60_000),
  /** lock_timeout per session, ms. */
  DB_LOCK_TIMEOUT_MS: intString(0, 86_400_000).default(10_000),
  /**
   * Client-side timeout, ms: a connection whose statement has had no byte moving for this long is closed
   * (a dead or blackholed link, which statement_timeout cannot catch). Default DB_STATEMENT_TIMEOUT_MS +
   * 5000. Shorter detects a dead link sooner; it must stay above DB_STATEMENT_TIMEOUT_MS. 0 disables.
   */
  DB_CLIENT_TIMEOUT_MS: intString(0, 86_400_000).optional(),
  /** Connecting to PostgreSQL (TCP, startup, and waiting for a free pool slot) gives up after this, ms. */
  DB_CONNECT_TIMEOUT_MS: intString(100, 600_000).default(10_000),
  /** Longest the engine works on one unary call, whatever deadline the caller set (ms). Calls must carry a deadline. */
  ENGINE_MAX_DEADLINE_MS: intString(1000, 3_600_000).default(300_000),
  /**
   * Lease of a file run's partition held by this replica (ms), renewed every third of it. A replica that
   * dies or freezes loses its partitions to the others this long after its last renewal.
   */
  ENGINE_LEASE_TTL_MS: intString(1000, 600_000).default(30_000),
  /** This replica's id (owner of its leases, listed among the replicas). Default <host>-<pid>-<random>. */
  ENGINE_REPLICA_ID: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'letters, digits and . _ : - only (at most 100)')
    .optional(),
  /** A CSV file run is cut into partitions of about this many bytes (at record boundaries), which replicas share. */
  STRONGROOM_PARTITION_BYTES: intString(4096, 2 ** 40).default(64 * 1024 * 1024),
  /**
   * Run threads: worker threads of this engine that work on a file run's partitions beside the thread that
   * started it, as replicas in the same process do (each parses, validates, renders and commits its own
   * partition). Default: the usable cores beyond two (a container's CPU quota counts; none on 2 cores), at most
   * 8; 0 turns them off.
   */
  ENGINE_RUN_THREADS: intString(0, 64).optional(),
  /** On SIGTERM, how long running batches may take to finish before the engine exits anyway. */
  ENGINE_SHUTDOWN_GRACE_MS: intString(0, 3_600_000).default(30_000),
  /**
   * TEST ONLY: "point@n,point@n" — the engine kills itself (SIGKILL) the n-th time it reaches a named
   * point (batch:mid-copy, batch:before-commit, batch:after-commit, dlq:mid-write, replay:mid,
   * ingest:after-commit, run:planned, run:finalizing, approval:after-action). Refused in production.
   */
  STRONGROOM_TEST_CRASH_AT: z
    .string()
    .regex(
      /^(thread:)?[a-z_-]+:[a-z_-]+@\d+(,(thread:)?[a-z_-]+:[a-z_-]+@\d+)*$/,
      'must look like batch:before-commit@3[,point@n] (thread:point@n: a point a run thread reaches)',
    )
    .optional(),
  STRONGROOM_ENV: z.string().optional(),
  NODE_ENV: z.string().optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /** json (production, one object per line) or pretty (terminal). Default: pretty when stderr is a terminal, else json. */
  LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
});

export type EngineConfig = Readonly<{
  databaseUrl: string;
  host: string;
  port: number;
  /** TLS files (PEM), when configured. */
  tls:
    | { cert: string; key: string; clientCa?: string; clientPrincipals: ReadonlyMap<string, readonly Role[]> }
    | undefined;
  home: string;
  panKeyFile: string;
  auditKeyFile: string;
  fieldKeysFile: string;
  keyRotationBatchSize: number;
  auditCheckpointEvery: number;
  auditCheckpointSeconds: number;
  auditDenialsSeconds: number;
  /** Governed actions need a second person's approval (STRONGROOM_FOUR_EYES). */
  fourEyes: boolean;
  /** Limits at the gRPC edge: ingest streams (idle timeout, per caller, in all), message size, calls per connection. */
  limits: {
    ingestIdleTimeoutMs: number;
    ingestStreamsPerPrincipal: number;
    maxIngestStreams: number;
    maxMessageBytes: number;
    maxConcurrentStreams: number;
  };
  /** The runtime login's URL (DATABASE_RUNTIME_URL); undefined: the engine provisions one (not in production). */
  runtimeDatabaseUrl: string | undefined;
  maxConcurrentRuns: number;
  /** ENGINE_INBOX_POLL_MS: how often triggered jobs' inboxes are looked at; 0 turns the watcher off. */
  inboxPollMs: number;
  /** ENGINE_SCHEDULE_POLL_MS: how often schedules are checked for fires; 0 turns them off on this replica. */
  schedulePollMs: number;
  /** Partition lease (ms); this replica's id; the partition size of CSV file runs (bytes). */
  leaseTtlMs: number;
  replicaId: string;
  partitionBytes: number;
  /** ENGINE_RUN_THREADS: worker threads that work on file runs' partitions beside the main thread. */
  runThreads: number;
  /** Where GET /metrics is served; null when off. */
  metrics: { host: string; port: number } | null;
  sanctionsListFiles: string[];
  retention: Readonly<Record<'PUBLIC' | 'INTERNAL' | 'CONFIDENTIAL' | 'RESTRICTED', number>>;
  screeningThreshold: number;
  dbPoolSize: number;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  clientTimeoutMs: number;
  connectTimeoutMs: number;
  shutdownGraceMs: number;
  maxDeadlineMs: number;
  /** Token verification: an HS256 secret (or 'dev-file': the home's development secret) and/or a JWKS file. */
  auth: {
    hs256Secret: string | 'dev-file' | undefined;
    jwksFile: string | undefined;
    jwksUrl: string | undefined;
    issuer: string | undefined;
    audience: string | undefined;
    maxLifetimeSeconds: number;
    /** Calls without a valid credential per client address and minute (then RESOURCE_EXHAUSTED). */
    unauthenticatedPerMinute: number;
  };
  /** Where source files may be read from (STRONGROOM_SOURCE_ROOTS), as real paths. */
  sourceRoots: SourceRoots;
  logLevel: string;
  logFormat: 'json' | 'pretty';
  /** Test-only crash points: name → which hit kills the process. Empty in normal operation. */
  crashAt: ReadonlyMap<string, number>;
  /** Run by serve/start: stop on the supervisor's SIGTERM or its going away, not on the terminal's Ctrl-C. */
  supervised: boolean;
}>;

export function loadConfig(env: Env = process.env): EngineConfig {
  const e = parseEnv(schema, env, 'engine', ['DATABASE_URL', 'DATABASE_RUNTIME_URL']);
  const home = path.resolve(e.STRONGROOM_HOME);
  if (e.DB_CLIENT_TIMEOUT_MS && e.DB_STATEMENT_TIMEOUT_MS && e.DB_CLIENT_TIMEOUT_MS <= e.DB_STATEMENT_TIMEOUT_MS) {
    throw new ConfigError(
      'invalid engine configuration: DB_CLIENT_TIMEOUT_MS must be above DB_STATEMENT_TIMEOUT_MS (the server should time a statement out first, with a precise error)',
    );
  }
  if (Boolean(e.ENGINE_TLS_CERT_FILE) !== Boolean(e.ENGINE_TLS_KEY_FILE))
    throw new ConfigError('invalid engine configuration: ENGINE_TLS_CERT_FILE and ENGINE_TLS_KEY_FILE go together');
  if (e.ENGINE_TLS_CLIENT_PRINCIPALS && !e.ENGINE_TLS_CLIENT_CA_FILE)
    throw new ConfigError(
      'invalid engine configuration: ENGINE_TLS_CLIENT_PRINCIPALS maps client certificates, which only mutual TLS verifies; set ENGINE_TLS_CLIENT_CA_FILE',
    );
  if (e.ENGINE_TLS_CLIENT_CA_FILE && !e.ENGINE_TLS_CERT_FILE)
    throw new ConfigError(
      'invalid engine configuration: ENGINE_TLS_CLIENT_CA_FILE (mutual TLS) needs ENGINE_TLS_CERT_FILE and ENGINE_TLS_KEY_FILE',
    );
  const production = e.STRONGROOM_ENV === 'production' || e.NODE_ENV === 'production';
  if (production && e.STRONGROOM_TEST_CRASH_AT)
    throw new ConfigError(
      'invalid engine configuration: STRONGROOM_TEST_CRASH_AT is a test switch and is refused in production',
    );
  if (production && !e.ENGINE_TLS_CERT_FILE && !/^(127\.\d+\.\d+\.\d+|localhost|::1)$/.test(e.ENGINE_HOST))
    throw new ConfigError(
      `invalid engine configuration for production: ENGINE_HOST ${e.ENGINE_HOST} is not loopback and gRPC is not encrypted; set ENGINE_TLS_CERT_FILE and ENGINE_TLS_KEY_FILE (and ENGINE_TLS_CLIENT_CA_FILE for mutual TLS)`,
    );
  if (e.GATEWAY_JWKS_FILE && e.GATEWAY_JWKS_URL)
    throw new ConfigError('invalid engine configuration: set GATEWAY_JWKS_FILE or GATEWAY_JWKS_URL, not both');
  if (production && e.GATEWAY_JWT_SECRET)
    throw new ConfigError(
      'invalid engine configuration for production: GATEWAY_JWT_SECRET (HS256 development tokens) is refused; set GATEWAY_JWKS_FILE (or GATEWAY_JWKS_URL), GATEWAY_JWT_ISSUER and GATEWAY_JWT_AUDIENCE',
    );
  if (production && (!(e.GATEWAY_JWKS_FILE || e.GATEWAY_JWKS_URL) || !e.GATEWAY_JWT_ISSUER || !e.GATEWAY_JWT_AUDIENCE))
    throw new ConfigError(
      'invalid engine configuration for production: callers are verified against GATEWAY_JWKS_FILE with GATEWAY_JWT_ISSUER and GATEWAY_JWT_AUDIENCE; set all three (or GATEWAY_JWKS_URL instead of the file)',
    );
  if (production && e.GATEWAY_JWKS_URL?.startsWith('http://'))
    throw new ConfigError(
      'invalid engine configuration for production: GATEWAY_JWKS_URL must be https:// (keys fetched in clear can be swapped on the way)',
    );
  if (production && !e.DATABASE_RUNTIME_URL)
    throw new ConfigError(
      'invalid engine configuration for production: DATABASE_RUNTIME_URL is required — a login that is a member of strongroom_runtime only (not a superuser, not the owner); DATABASE_URL (the owner) is used for migrations only',
    );
  const crashAt = new Map(
    (e.STRONGROOM_TEST_CRASH_AT ?? '')
      .split(',')
      .filter(Boolean)
      .map((p) => [p.split('@')[0] as string, Number(p.split('@')[1])] as const),
  );
  return Object.freeze({
    databaseUrl: e.DATABASE_URL,
    host: e.ENGINE_HOST,
    port: e.ENGINE_PORT,
    tls:
      e.ENGINE_TLS_CERT_FILE && e.ENGINE_TLS_KEY_FILE
        ? {
            cert: e.ENGINE_TLS_CERT_FILE,
            key: e.ENGINE_TLS_KEY_FILE,
            ...(e.ENGINE_TLS_CLIENT_CA_FILE ? { clientCa: e.ENGINE_TLS_CLIENT_CA_FILE } : {}),
            clientPrincipals: parseClientPrincipals(e.ENGINE_TLS_CLIENT_PRINCIPALS ?? ''),
          }
        : undefined,
    home,
    panKeyFile: path.resolve(e.STRONGROOM_PAN_KEY_FILE ?? path.join(home, 'keys', 'pan-hmac.key')),
    auditKeyFile: path.resolve(e.STRONGROOM_AUDIT_KEY_FILE ?? path.join(home, 'keys', 'audit-ed25519.pem')),
    fieldKeysFile: path.resolve(e.STRONGROOM_FIELD_KEYS_FILE ?? path.join(home, 'keys', 'field-keys')),
    keyRotationBatchSize: e.KEY_ROTATION_BATCH_SIZE,
    auditCheckpointEvery: e.AUDIT_CHECKPOINT_EVERY,
    auditCheckpointSeconds: e.AUDIT_CHECKPOINT_SECONDS,
    auditDenialsSeconds: e.AUDIT_DENIALS_SECONDS,
    fourEyes: (e.STRONGROOM_FOUR_EYES ?? (production ? 'on' : 'off')) === 'on',
    supervised: e.STRONGROOM_SUPERVISED === '1',
    runtimeDatabaseUrl: e.DATABASE_RUNTIME_URL,
    limits: {
      ingestIdleTimeoutMs: e.ENGINE_INGEST_IDLE_TIMEOUT_MS,
      ingestStreamsPerPrincipal: e.ENGINE_INGEST_STREAMS_PER_PRINCIPAL,
      maxIngestStreams: e.ENGINE_MAX_INGEST_STREAMS,
      maxMessageBytes: e.ENGINE_MAX_MESSAGE_BYTES,
      maxConcurrentStreams: e.ENGINE_MAX_CONCURRENT_STREAMS,
    },
    maxConcurrentRuns: e.ENGINE_MAX_CONCURRENT_RUNS,
    inboxPollMs: e.ENGINE_INBOX_POLL_MS,
    schedulePollMs: e.ENGINE_SCHEDULE_POLL_MS,
    leaseTtlMs: e.ENGINE_LEASE_TTL_MS,
    replicaId:
      e.ENGINE_REPLICA_ID ??
      `${os
        .hostname()
        .replace(/[^A-Za-z0-9._-]/g, '-')
        .slice(0, 60)}-${process.pid}-${randomBytes(3).toString('hex')}`,
    partitionBytes: e.STRONGROOM_PARTITION_BYTES,
    runThreads: e.ENGINE_RUN_THREADS ?? defaultRunThreads(),
    metrics:
      e.ENGINE_METRICS_PORT === 'off'
        ? null
        : { host: e.ENGINE_METRICS_HOST, port: e.ENGINE_METRICS_PORT ?? (e.ENGINE_PORT === 0 ? 0 : 9464) },
    sanctionsListFiles: sanctionsListFiles(e.STRONGROOM_SANCTIONS_LISTS, home),
    retention: {
      PUBLIC: e.RETENTION_DAYS_PUBLIC,
      INTERNAL: e.RETENTION_DAYS_INTERNAL,
      CONFIDENTIAL: e.RETENTION_DAYS_CONFIDENTIAL,
      RESTRICTED: e.RETENTION_DAYS_RESTRICTED,
    },
    screeningThreshold: e.SCREENING_THRESHOLD,
    dbPoolSize: e.DB_POOL_SIZE,
    statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: e.DB_LOCK_TIMEOUT_MS,
    clientTimeoutMs: e.DB_CLIENT_TIMEOUT_MS ?? (e.DB_STATEMENT_TIMEOUT_MS > 0 ? e.DB_STATEMENT_TIMEOUT_MS + 5000 : 0),
    connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
    shutdownGraceMs: e.ENGINE_SHUTDOWN_GRACE_MS,
    maxDeadlineMs: e.ENGINE_MAX_DEADLINE_MS,
    auth: {
      hs256Secret: e.GATEWAY_JWT_SECRET ?? (production ? undefined : 'dev-file'),
      jwksFile: e.GATEWAY_JWKS_FILE,
      jwksUrl: e.GATEWAY_JWKS_URL,
      issuer: e.GATEWAY_JWT_ISSUER,
      audience: e.GATEWAY_JWT_AUDIENCE,
      maxLifetimeSeconds: e.GATEWAY_MAX_TOKEN_LIFETIME_SECONDS,
      unauthenticatedPerMinute: e.ENGINE_UNAUTHENTICATED_RATE_LIMIT_PER_MINUTE,
    },
    sourceRoots: sourceRoots(
      e.STRONGROOM_SOURCE_ROOTS
        ? e.STRONGROOM_SOURCE_ROOTS.split(path.delimiter).filter(Boolean)
        : [path.join(home, 'inbox'), ...(production ? [] : [process.cwd()])],
      home,
    ),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? (process.stderr.isTTY ? 'pretty' : 'json'), // logs go to stderr
    crashAt,
  });
}

/** "cn=role,role;cn2=role" → CN → roles; refuses unknown roles and malformed entries at start. */
export function parseClientPrincipals(text: string): ReadonlyMap<string, readonly Role[]> {
  const map = new Map<string, Role[]>();
  for (const entry of text
    .split(';')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const m = /^([^=]+)=(.+)$/.exec(entry);
    const roles = (m?.[2] ?? '').split(',').map((r) => r.trim());
    if (!m || !roles.every((r): r is Role => (ROLES as readonly string[]).includes(r)))
      throw new ConfigError(
        `invalid engine configuration: ENGINE_TLS_CLIENT_PRINCIPALS entry "${entry}" must be "<certificate CN>=<role>[,<role>]" with roles among ${ROLES.join(', ')}`,
      );
    map.set((m[1] as string).trim(), roles as Role[]);
  }
  return map;
}
