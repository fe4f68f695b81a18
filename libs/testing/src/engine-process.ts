import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { signDevToken } from '@strongroom/auth';
import { ENGINE_NODE_FLAGS } from '@strongroom/config';
import { childBaseEnv } from './harness-env';

export interface EngineProcessOptions {
  databaseUrl: string;
  /** Extra environment (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
  /**
   * Run the engine with its clock shifted (libfaketime, e.g. '+1h'): the clock of this one process, not
   * the database's. Needs libfaketime (see fakeClockAvailable).
   */
  clockOffset?: string;
}

/** libfaketime's preload library (Debian package faketime; CI installs it), or null when it is not here. */
function fakeClockLibrary(): string | null {
  const dirs = [
    '/usr/lib/x86_64-linux-gnu/faketime',
    '/usr/lib/aarch64-linux-gnu/faketime',
    '/usr/lib/faketime',
    '/usr/lib64/faketime',
  ];
  for (const d of dirs) {
    const lib = path.join(d, 'libfaketimeMT.so.1');
    if (fs.existsSync(lib)) return lib;
  }
  return null;
}

/** Whether an engine's clock can be shifted here (clockOffset). */
export function fakeClockAvailable(): boolean {
  return fakeClockLibrary() !== null;
}

/** The HS256 secret test engines verify tokens with (unless a test sets GATEWAY_JWT_SECRET or a JWKS itself). */
export const TEST_JWT_SECRET = 'strongroom-test-jwt-secret-of-at-least-32-chars';

/** A token the test engines accept: `sub` with `roles`, valid for an hour. */
export function testToken(sub = 'test-admin', roles: string[] = ['admin'], secret = TEST_JWT_SECRET): string {
  return signDevToken({ sub, roles, ttlSeconds: 3600 }, secret);
}

export interface EngineProcess {
  /** host:port to dial. */
  address: string;
  /** An admin bearer token this engine accepts (clients: `{ address, token }`; the CLI: STRONGROOM_TOKEN). */
  token: string;
  /** http://host:port/metrics of the engine's Prometheus endpoint (null when off). */
  metricsUrl: string | null;
  child: ChildProcess;
  /** Graceful stop (SIGTERM), forced after 15 s. Resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Output collected so far (stdout + stderr), for assertions and failure messages. */
  output(): string;
}

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Starts the real engine (apps/engine/src/main.ts) as a child process on a free port. */
export function startEngineProcess(options: EngineProcessOptions): Promise<EngineProcess> {
  // a shifted clock is libfaketime preloaded into the engine itself (the `faketime` command forks, and
  // signals sent to its child process would not reach the engine)
  const lib = options.clockOffset ? fakeClockLibrary() : null;
  if (options.clockOffset && !lib)
    throw new Error('clockOffset needs libfaketime (Debian: apt-get install -y faketime)');
  const clock = lib
    ? { LD_PRELOAD: lib, FAKETIME: options.clockOffset as string, FAKETIME_DONT_FAKE_MONOTONIC: '1' }
    : {};
  const child = spawn(
    process.execPath,
    [...ENGINE_NODE_FLAGS, path.join(ROOT, 'bin', 'run-ts.js'), path.join(ROOT, 'apps', 'engine', 'src', 'main.ts')],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...childBaseEnv(),
        DATABASE_URL: options.databaseUrl,
        ENGINE_HOST: '127.0.0.1',
        ENGINE_PORT: '0',
        LOG_LEVEL: 'warn',
        LOG_FORMAT: 'json',
        // a restarted test engine is a new replica: the old one's partitions are taken over after this lease
        ENGINE_LEASE_TTL_MS: '3000',
        // the same engine on every machine (the default follows the cores); a test that wants run threads says so
        ENGINE_RUN_THREADS: '0',
        GATEWAY_JWT_SECRET: TEST_JWT_SECRET,
        // tests refuse many calls on purpose from one address; the limit has its own test
        ENGINE_UNAUTHENTICATED_RATE_LIMIT_PER_MINUTE: '1000000',
        // tests write their source files to temp folders; the repository (fixtures) is the engine's working folder
        STRONGROOM_SOURCE_ROOTS: [os.tmpdir(), ROOT].join(path.delimiter),
        ...options.env,
        ...clock,
      },
    },
  );
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`engine did not start within 60 s:\n${out}`));
    }, 60_000);
    const onData = (buf: Buffer) => {
      out += buf.toString('utf8');
      const m = /engine ready (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        const secret = options.env?.['GATEWAY_JWT_SECRET'] ?? TEST_JWT_SECRET;
        resolve({
          address: m[1] as string,
          token: testToken('test-admin', ['admin'], secret),
          metricsUrl: /engine metrics (\S+)/.exec(out)?.[1] ?? null,
          child,
          output: () => out,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) {
              child.kill('SIGTERM');
              const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
              const code = await exited;
              clearTimeout(force);
              return code;
            }
            return child.exitCode;
          },
        });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`engine exited (${code}) before ready:\n${out}`));
    });
  });
}

/** Resolves when the engine process has exited — also when it already had (killed by a signal: exitCode stays null). */
export function exited(engine: EngineProcess): Promise<void> {
  const c = engine.child;
  return c.exitCode !== null || c.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => c.once('exit', () => r()));
}
