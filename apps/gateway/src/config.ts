// Gateway configuration: the only module that reads process.env. It is parsed once with zod into a
// frozen object; a bad value fails fast with an error naming the variable (never echoing a secret).
import { DEFAULT_CONSOLE_DIR } from './console-site';
import { z } from 'zod';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS } from '@strongroom/auth';
import { ConfigError, engineTlsEnv, engineTlsFiles, intString, parseEnv, type Env } from '@strongroom/config';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface GatewayConfig {
  /** GATEWAY_HOST, default 127.0.0.1. Loopback by default: exposing the gateway is a deliberate act. */
  readonly host: string;
  /** GATEWAY_PORT, default 4000. 0 picks a free port (tests); the bound port is reported at start. */
  readonly port: number;
  /** STRONGROOM_ENGINE, default 127.0.0.1:50051: host:port of the engine's gRPC server. */
  readonly engineAddress: string;
  /**
   * GATEWAY_ENGINE_DEADLINE_MS, default 5000 (100..300000). Deadline of every engine call. Shorter
   * fails faster when the engine is stuck; longer tolerates slow list calls on big tables.
   */
  readonly engineDeadlineMs: number;
  /**
   * STRONGROOM_ENGINE_TLS_CA_FILE: the engine speaks TLS, with a certificate signed by this CA (PEM).
   * STRONGROOM_ENGINE_TLS_CERT_FILE / _KEY_FILE: the gateway's client certificate, for an engine that
   * requires mutual TLS.
   */
  readonly engineTls: { ca: string; cert?: string; key?: string } | undefined;
  /**
   * GATEWAY_AUTH, on|off, default on. `off` lets every request in as an admin named `anonymous`;
   * refused in production.
   */
  readonly authEnabled: boolean;
  /**
   * GATEWAY_JWT_SECRET, no default; required (at least 32 characters) when auth is on. HS256 key
   * (its UTF-8 bytes) that bearer tokens are verified with. Never logged.
   */
  readonly jwtSecret: string | undefined;
  /**
   * GATEWAY_JWKS_FILE or GATEWAY_JWKS_URL: public keys that RS256/ES256 bearer tokens are verified with
   * (production). GATEWAY_JWT_ISSUER / GATEWAY_JWT_AUDIENCE: required `iss` / `aud` of those tokens.
   */
  readonly jwks: { file?: string; url?: string; issuer?: string; audience?: string };
  /**
   * Production mode: NODE_ENV=production or STRONGROOM_ENV=production. Turns introspection, the
   * landing page and schema hints in error messages off, and forbids GATEWAY_AUTH=off.
   */
  readonly production: boolean;
  /** LOG_LEVEL, debug|info|warn|error, default info. */
  readonly logLevel: LogLevel;
  /** LOG_FORMAT, json|pretty, default json in production and pretty otherwise. */
  readonly logFormat: 'json' | 'pretty';
  /**
   * Largest accepted request body in bytes; not an environment variable. 1 MiB is far above any
   * real query or job definition and bounds the memory one request can pin.
   */
  readonly maxBodyBytes: number;
  /**
   * GATEWAY_CONSOLE_DIR: the operator console's build folder, served at `/` (default: apps/console/dist of
   * this repository); `off` serves no console.
   */
  readonly consoleDir: string | null;
  /**
   * The console's sign-in through the bank's identity provider (OpenID Connect, authorization code + PKCE,
   * a public client): CONSOLE_OIDC_ISSUER (its issuer URL; https in production), CONSOLE_OIDC_CLIENT_ID,
   * CONSOLE_OIDC_SCOPE (default "openid"). The access tokens it issues must verify with GATEWAY_JWKS_URL /
   * GATEWAY_JWT_ISSUER / GATEWAY_JWT_AUDIENCE and carry a `roles` claim. Unset: sign-in by pasted token only.
   */
  readonly consoleOidc: { issuer: string; clientId: string; scope: string } | null;
  /**
   * Query limits, refused in validation before any resolver runs: GATEWAY_MAX_DEPTH (10),
   * GATEWAY_MAX_ALIASES (20), GATEWAY_MAX_COST (5000: fields × enclosing page sizes), at most 5
   * operations per document, at most 20,000 tokens. Lower is safer; raise only for a known client.
   */
  readonly queryLimits: {
    maxDepth: number;
    maxAliases: number;
    maxOperations: number;
    maxCost: number;
    maxTokens: number;
  };
  /**
   * GATEWAY_RATE_LIMIT_PER_MINUTE, default 600 (0 = off): requests per authenticated subject per
   * minute (a token bucket refilled continuously); over it, RATE_LIMITED (HTTP 429).
   */
  readonly rateLimitPerMinute: number;
  /** GATEWAY_MAX_TOKEN_LIFETIME_SECONDS, default 43200 (12 h): bearer tokens valid for longer are refused. */
  readonly maxTokenLifetimeSeconds: number;
  /**
   * GATEWAY_UNAUTHENTICATED_RATE_LIMIT_PER_MINUTE, default 60: requests and WebSocket connections without
   * a valid token per client address per minute; over it, RATE_LIMITED (HTTP 429) instead of 401.
   */
  readonly unauthenticatedRateLimitPerMinute: number;
  /**
   * GATEWAY_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION (default 10) and GATEWAY_WS_MAX_SUBSCRIPTIONS_PER_SUBJECT
   * (default 25): live subscriptions open at once on one graphql-ws connection, and for one token subject.
   */
  readonly ws: { maxSubscriptionsPerConnection: number; maxSubscriptionsPerSubject: number };
  /**
   * How the gateway reports the requests it refused to the engine, which audits them: every
   * GATEWAY_DENIALS_REPORT_SECONDS (default 10), as itself — GATEWAY_SERVICE_TOKEN_FILE (a bearer token
   * for a subject with the `gateway` role, read again before each report; production), a development
   * token signed with GATEWAY_JWT_SECRET, or else its client certificate (mapped on the engine by
   * ENGINE_TLS_CLIENT_PRINCIPALS).
   */
  readonly denials: { reportSeconds: number; serviceTokenFile: string | undefined };
  /**
   * GATEWAY_METRICS_PORT (default 9465, or a free port when GATEWAY_PORT is 0; "off": none) and
   * GATEWAY_METRICS_HOST (default 127.0.0.1): where Prometheus scrapes GET /metrics, apart from the
   * GraphQL port and without credentials — keep it on an internal interface.
   */
  readonly metrics: { host: string; port: number } | null;
  /**
   * STRONGROOM_SUPERVISED=1 (set by serve/start): ignore the terminal's Ctrl-C (the supervisor stops the
   * gateway, in order) and stop gracefully when the supervisor goes away (stdin closes).
   */
  readonly supervised: boolean;
}

/** Thrown when the environment does not describe a valid gateway configuration. */
export { ConfigError as GatewayConfigError };

const MIN_SECRET_LENGTH = 32;

const envSchema = z.object({
  GATEWAY_HOST: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  GATEWAY_PORT: intString(0, 65535).default(4000),
  STRONGROOM_ENGINE: z
    .string()
    .trim()
    .regex(/^\S+:\d{1,5}$/, 'must be host:port (e.g. 127.0.0.1:50051)')
    .default('127.0.0.1:50051'),
  GATEWAY_ENGINE_DEADLINE_MS: intString(100, 300_000).default(5000),
  ...engineTlsEnv,
  GATEWAY_AUTH: z.enum(['on', 'off'], { error: 'must be "on" or "off"' }).default('on'),
  GATEWAY_JWT_SECRET: z.string().optional(),
  GATEWAY_JWKS_FILE: z.string().optional(),
  GATEWAY_JWKS_URL: z
    .string()
    .regex(/^https?:\/\//, 'must be an http(s) URL')
    .optional(),
  GATEWAY_JWT_ISSUER: z.string().optional(),
  GATEWAY_JWT_AUDIENCE: z.string().optional(),
  NODE_ENV: z.string().optional(),
  STRONGROOM_ENV: z.string().optional(),
  STRONGROOM_SUPERVISED: z.enum(['1'], { error: 'must be "1" or unset' }).optional(),
  LOG_LEVEL: z
    .enum(['debug', 'info', 'warn', 'error'], { error: 'must be debug, info, warn or error' })
    .default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty'], { error: 'must be "json" or "pretty"' }).optional(),
  GATEWAY_MAX_DEPTH: intString(2, 50).default(10),
  GATEWAY_MAX_ALIASES: intString(0, 1000).default(20),
  GATEWAY_MAX_COST: intString(10, 1_000_000).default(5000),
  GATEWAY_RATE_LIMIT_PER_MINUTE: intString(0, 1_000_000).default(600),
  GATEWAY_MAX_TOKEN_LIFETIME_SECONDS: intString(60, 30 * 86400).default(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS),
  GATEWAY_UNAUTHENTICATED_RATE_LIMIT_PER_MINUTE: intString(1, 1_000_000).default(60),
  GATEWAY_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: intString(1, 10_000).default(10),
  GATEWAY_WS_MAX_SUBSCRIPTIONS_PER_SUBJECT: intString(1, 100_000).default(25),
  GATEWAY_DENIALS_REPORT_SECONDS: intString(1, 3600).default(10),
  GATEWAY_SERVICE_TOKEN_FILE: z.string().optional(),
  GATEWAY_METRICS_PORT: z.union([z.literal('off'), intString(0, 65535)]).optional(),
  GATEWAY_METRICS_HOST: z.string().trim().min(1, 'must not be empty').default('127.0.0.1'),
  GATEWAY_CONSOLE_DIR: z.string().trim().min(1, 'must not be empty').optional(),
  CONSOLE_OIDC_ISSUER: z
    .string()
    .trim()
    .refine(isIssuerUrl, 'must be an http(s) URL with a host and no query, fragment, quotes or semicolons')
    .optional(),
  CONSOLE_OIDC_CLIENT_ID: z.string().trim().min(1, 'must not be empty').optional(),
  CONSOLE_OIDC_SCOPE: z.string().trim().min(1, 'must not be empty').default('openid'),
});

/** An issuer URL fit for the page's Content-Security-Policy and the discovery request: nothing but origin and path. */
function isIssuerUrl(v: string): boolean {
  if (!URL.canParse(v) || /[\s;,'"]/.test(v)) return false;
  const u = new URL(v);
  return (u.protocol === 'https:' || u.protocol === 'http:') && !!u.hostname && !u.search && !u.hash && !u.username;
}

/**
 * Parses the gateway configuration from `env` (default: process.env). Empty strings count as unset,
 * so `GATEWAY_PORT=` in a .env file means the default rather than an error.
 */
export function loadConfig(env: Env = process.env): GatewayConfig {
  const e = parseEnv(envSchema, env, 'gateway', ['GATEWAY_JWT_SECRET']);
  const production = e.NODE_ENV === 'production' || e.STRONGROOM_ENV === 'production';
  const authEnabled = e.GATEWAY_AUTH === 'on';
  if (!authEnabled && production) {
    throw new ConfigError('invalid gateway configuration: GATEWAY_AUTH: "off" is not allowed in production');
  }
  const engineTls = engineTlsFiles(e, 'gateway');
  const jwksConfigured = e.GATEWAY_JWKS_FILE !== undefined || e.GATEWAY_JWKS_URL !== undefined;
  if (e.GATEWAY_JWKS_FILE !== undefined && e.GATEWAY_JWKS_URL !== undefined) {
    throw new ConfigError('invalid gateway configuration: set GATEWAY_JWKS_FILE or GATEWAY_JWKS_URL, not both');
  }
  if (production && e.GATEWAY_JWT_SECRET !== undefined) {
    throw new ConfigError(
      'invalid gateway configuration: GATEWAY_JWT_SECRET: HS256 development tokens are not accepted in production; configure GATEWAY_JWKS_FILE or GATEWAY_JWKS_URL',
    );
  }
  if (
    authEnabled &&
    !jwksConfigured &&
    (e.GATEWAY_JWT_SECRET === undefined || e.GATEWAY_JWT_SECRET.length < MIN_SECRET_LENGTH)
  ) {
    throw new ConfigError(
      `invalid gateway configuration: GATEWAY_JWT_SECRET: required with at least ${MIN_SECRET_LENGTH} characters ` +
        'while GATEWAY_AUTH is on (or configure GATEWAY_JWKS_FILE / GATEWAY_JWKS_URL)',
    );
  }
  if (e.GATEWAY_JWT_SECRET !== undefined && e.GATEWAY_JWT_SECRET.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(
      `invalid gateway configuration: GATEWAY_JWT_SECRET: at least ${MIN_SECRET_LENGTH} characters`,
    );
  }
  if ((e.CONSOLE_OIDC_ISSUER === undefined) !== (e.CONSOLE_OIDC_CLIENT_ID === undefined)) {
    throw new ConfigError(
      'invalid gateway configuration: CONSOLE_OIDC_ISSUER and CONSOLE_OIDC_CLIENT_ID go together (set both or neither)',
    );
  }
  if (e.CONSOLE_OIDC_CLIENT_ID !== undefined && e.CONSOLE_OIDC_CLIENT_ID === e.GATEWAY_JWT_AUDIENCE) {
    throw new ConfigError(
      "invalid gateway configuration: GATEWAY_JWT_AUDIENCE must be the gateway's own audience, not CONSOLE_OIDC_CLIENT_ID (else the provider's ID tokens would pass as access tokens)",
    );
  }
  if (e.CONSOLE_OIDC_ISSUER !== undefined && !jwksConfigured) {
    throw new ConfigError(
      'invalid gateway configuration: CONSOLE_OIDC_ISSUER needs GATEWAY_JWKS_URL (or GATEWAY_JWKS_FILE) to verify the tokens the identity provider issues',
    );
  }
  if (production) refuseInsecureProduction(e, engineTls !== undefined);
  return Object.freeze({
    host: e.GATEWAY_HOST,
    port: e.GATEWAY_PORT,
    engineAddress: e.STRONGROOM_ENGINE,
    engineDeadlineMs: e.GATEWAY_ENGINE_DEADLINE_MS,
    metrics:
      e.GATEWAY_METRICS_PORT === 'off'
        ? null
        : { host: e.GATEWAY_METRICS_HOST, port: e.GATEWAY_METRICS_PORT ?? (e.GATEWAY_PORT === 0 ? 0 : 9465) },
    engineTls,
    authEnabled,
    jwtSecret: authEnabled ? e.GATEWAY_JWT_SECRET : undefined,
    jwks: {
      ...(e.GATEWAY_JWKS_FILE ? { file: e.GATEWAY_JWKS_FILE } : {}),
      ...(e.GATEWAY_JWKS_URL ? { url: e.GATEWAY_JWKS_URL } : {}),
      ...(e.GATEWAY_JWT_ISSUER ? { issuer: e.GATEWAY_JWT_ISSUER } : {}),
      ...(e.GATEWAY_JWT_AUDIENCE ? { audience: e.GATEWAY_JWT_AUDIENCE } : {}),
    },
    production,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? (production ? 'json' : 'pretty'),
    maxBodyBytes: 1024 * 1024,
    consoleDir: e.GATEWAY_CONSOLE_DIR === 'off' ? null : (e.GATEWAY_CONSOLE_DIR ?? DEFAULT_CONSOLE_DIR),
    consoleOidc:
      e.CONSOLE_OIDC_ISSUER && e.CONSOLE_OIDC_CLIENT_ID
        ? { issuer: e.CONSOLE_OIDC_ISSUER, clientId: e.CONSOLE_OIDC_CLIENT_ID, scope: e.CONSOLE_OIDC_SCOPE }
        : null,
    queryLimits: {
      maxDepth: e.GATEWAY_MAX_DEPTH,
      maxAliases: e.GATEWAY_MAX_ALIASES,
      maxOperations: 5,
      maxCost: e.GATEWAY_MAX_COST,
      maxTokens: 20_000,
    },
    rateLimitPerMinute: e.GATEWAY_RATE_LIMIT_PER_MINUTE,
    maxTokenLifetimeSeconds: e.GATEWAY_MAX_TOKEN_LIFETIME_SECONDS,
    unauthenticatedRateLimitPerMinute: e.GATEWAY_UNAUTHENTICATED_RATE_LIMIT_PER_MINUTE,
    ws: {
      maxSubscriptionsPerConnection: e.GATEWAY_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxSubscriptionsPerSubject: e.GATEWAY_WS_MAX_SUBSCRIPTIONS_PER_SUBJECT,
    },
    denials: { reportSeconds: e.GATEWAY_DENIALS_REPORT_SECONDS, serviceTokenFile: e.GATEWAY_SERVICE_TOKEN_FILE },
    supervised: e.STRONGROOM_SUPERVISED === '1',
  });
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1):\d+$/;

/**
 * Production refuses settings that leave the trust boundary open, each with what to change: identity-provider
 * tokens without a required issuer and audience, keys fetched over plain HTTP, a remote engine without TLS,
 * no rate limit.
 */
function refuseInsecureProduction(e: z.infer<typeof envSchema>, engineTls: boolean): void {
  const refuse = (why: string) => {
    throw new ConfigError(`invalid gateway configuration for production: ${why}`);
  };
  if ((e.GATEWAY_JWKS_FILE || e.GATEWAY_JWKS_URL) && (!e.GATEWAY_JWT_ISSUER || !e.GATEWAY_JWT_AUDIENCE))
    refuse('GATEWAY_JWT_ISSUER and GATEWAY_JWT_AUDIENCE are required (tokens of any issuer or audience would pass)');
  if (e.CONSOLE_OIDC_ISSUER?.startsWith('http://'))
    refuse('CONSOLE_OIDC_ISSUER must be https:// (a sign-in over plain HTTP hands the code to anyone on the way)');
  if (e.GATEWAY_JWKS_URL?.startsWith('http://'))
    refuse('GATEWAY_JWKS_URL must be https:// (keys fetched over plain HTTP can be replaced on the way)');
  if (!engineTls && !LOOPBACK.test(e.STRONGROOM_ENGINE))
    refuse(`the engine at ${e.STRONGROOM_ENGINE} is not on loopback: set STRONGROOM_ENGINE_TLS_CA_FILE (TLS)`);
  if (e.GATEWAY_RATE_LIMIT_PER_MINUTE === 0) refuse('GATEWAY_RATE_LIMIT_PER_MINUTE must not be 0 (no rate limit)');
}

/** The configuration without secrets, for the startup log line. */
export function describeConfig(config: GatewayConfig): Record<string, unknown> {
  const { jwtSecret: _secret, ...rest } = config;
  return { ...rest, jwtSecret: config.jwtSecret === undefined ? 'unset' : 'set' };
}
