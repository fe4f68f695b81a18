import path from 'node:path';
import { z } from 'zod';
import { engineTlsEnv, engineTlsFiles, fractionString, intString, parseEnv, type Env } from '@strongroom/config';

/** CLI configuration: the only place in the CLI that reads process.env. */
const schema = z.object({
  /** Engine address the CLI dials. Default: the local engine. */
  STRONGROOM_ENGINE: z.string().default('127.0.0.1:50051'),
  /** External PostgreSQL; unset = embedded cluster under STRONGROOM_HOME (serve/start). */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  /** Embedded data, keys and demo files. */
  STRONGROOM_HOME: z.string().default('.strongroom'),
  ENGINE_PORT: intString(0, 65535).default(50051),
  GATEWAY_PORT: intString(0, 65535).default(4000),
  /** Rows in the `npm start` demo file. */
  STRONGROOM_DEMO_ROWS: intString(1, 50_000_000).default(200_000),
  /** Sanctions list files (OFAC SDN CSV format), comma-separated. Default: every .csv in <home>/sanctions/. */
  STRONGROOM_SANCTIONS_LISTS: z.string().optional(),
  /** Screening score at or above which a name is a hit, in (0, 1]. */
  SCREENING_THRESHOLD: fractionString().default(0.9),
  /** TLS to the engine: the CA that signed its certificate; and the CLI's client certificate/key for mutual TLS. */
  ...engineTlsEnv,
  /** "production" turns off development conveniences (serve's default source root in the current folder). */
  STRONGROOM_ENV: z.string().optional(),
  NODE_ENV: z.string().optional(),
  /**
   * The CLI's credentials: a bearer token the engine verifies (its subject is the audit actor). Unset outside
   * production: a 15-minute development token is minted from <home>/keys/gateway-jwt.secret when readable.
   */
  STRONGROOM_TOKEN: z.string().optional(),
  /** Per-call deadline for unary engine calls, ms. */
  STRONGROOM_CLI_DEADLINE_MS: intString(100, 3_600_000).default(30_000),
});

export type CliConfig = Readonly<{
  engineAddress: string;
  databaseUrl: string | undefined;
  home: string;
  enginePort: number;
  gatewayPort: number;
  demoRows: number;
  deadlineMs: number;
  /** TLS files for the engine connection, when it is not a plaintext loopback engine. */
  engineTls: { ca: string; cert?: string; key?: string } | undefined;
  sanctionsLists: string | undefined;
  screeningThreshold: number;
  production: boolean;
  token: string | undefined;
  /** Passed through to child processes started by `serve`. */
  env: Env;
}>;

export function loadConfig(env: Env = process.env): CliConfig {
  const e = parseEnv(schema, env, 'CLI', ['DATABASE_URL']);
  return Object.freeze({
    engineAddress: e.STRONGROOM_ENGINE,
    databaseUrl: e.DATABASE_URL,
    home: path.resolve(e.STRONGROOM_HOME),
    enginePort: e.ENGINE_PORT,
    gatewayPort: e.GATEWAY_PORT,
    demoRows: e.STRONGROOM_DEMO_ROWS,
    deadlineMs: e.STRONGROOM_CLI_DEADLINE_MS,
    engineTls: engineTlsFiles(e, 'CLI'),
    sanctionsLists: e.STRONGROOM_SANCTIONS_LISTS,
    screeningThreshold: e.SCREENING_THRESHOLD,
    production: e.STRONGROOM_ENV === 'production' || e.NODE_ENV === 'production',
    token: e.STRONGROOM_TOKEN,
    env: { ...env },
  });
}
