import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { readOrCreateDevSecret, signDevToken } from '@strongroom/auth';
import { ENGINE_NODE_FLAGS } from '@strongroom/config';
import { processAlive, provisionApplicationLogins, startCluster, type Cluster } from '@strongroom/embedded-pg';
import { type CliConfig } from '../config';
import { ensureConsoleBuilt } from './console-build';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

export interface Stack {
  engineAddress: string;
  graphqlUrl: string;
  /** The operator console, served by the gateway at its root. */
  consoleUrl: string;
  /** Prometheus endpoints of the engine and the gateway (GET /metrics). */
  metricsUrls: string[];
  databaseUrl: string;
  embedded: boolean;
  /** One development token per role; none in production (no development secret exists there). */
  devTokens: Record<'viewer' | 'operator' | 'auditor' | 'admin', string> | undefined;
  /** Graceful stop of gateway, engine and the embedded PostgreSQL, in that order. */
  stop(): Promise<void>;
  /** Resolves when a component exits on its own (a crash); the stack is then stopped. */
  crashed: Promise<string>;
}

/** The engine's entry point (started with ENGINE_NODE_FLAGS). */
export const ENGINE_ENTRY = 'apps/engine/src/main.ts';

/** A TypeScript entry point of this repository as a child process: [node, args], run from the repository. */
export function entryCommand(entry: string): { command: string; args: string[]; cwd: string } {
  const flags = entry === ENGINE_ENTRY ? ENGINE_NODE_FLAGS : [];
  return {
    command: process.execPath,
    args: [...flags, path.join(ROOT, 'bin', 'run-ts.js'), path.join(ROOT, entry)],
    cwd: ROOT,
  };
}

/**
 * Where the engine may read source files: STRONGROOM_SOURCE_ROOTS, or by default <home>/inbox and, outside
 * production, the folder the command was started from.
 */
export function sourceRootsSetting(config: CliConfig): string {
  return (
    config.env.STRONGROOM_SOURCE_ROOTS ??
    [path.join(config.home, 'inbox'), ...(config.production ? [] : [process.cwd()])].join(path.delimiter)
  );
}

function say(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/**
 * Takes `<home>/serve.lock` for this process, or refuses when a live process holds it (naming it); a lock
 * left by a process that is gone is taken over. Returns the release.
 */
export function lockHome(home: string): () => void {
  const file = path.join(home, 'serve.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw err;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid))
        throw new Error(
          `another strongroom serve/start (pid ${pid}) is running on ${home}; stop it first (Ctrl-C there), or use another STRONGROOM_HOME`,
        );
      fs.rmSync(file, { force: true }); // its process is gone: the lock is stale
    }
  }
}

/** Starts a TypeScript entry point as a child process and waits for its `<name> ready <addr>` line. */
function startChild(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; address: string; metricsUrl: string | null }> {
  // supervised: the child leaves the terminal's Ctrl-C to us (we stop it in order) and stops by itself when
  // its stdin — this pipe — closes, that is when we are gone
  const { command, args, cwd } = entryCommand(entry);
  const child = spawn(command, args, {
    cwd,
    env: { ...env, STRONGROOM_SUPERVISED: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (b: Buffer) => {
      out += b.toString('utf8');
      const m = new RegExp(`${name} ready (\\S+)`).exec(out);
      if (m) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve({
          child,
          address: m[1] as string,
          metricsUrl: new RegExp(`${name} metrics (\\S+)`).exec(out)?.[1] ?? null,
        });
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready`)));
  });
}

function stopChild(child: ChildProcess | undefined, graceMs: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * `strongroom serve`: PostgreSQL (embedded unless DATABASE_URL), engine (migrations on start) and
 * gateway as child processes. Prints one line containing `ready` when both listen.
 */
export async function startStack(config: CliConfig): Promise<Stack> {
  fs.mkdirSync(config.home, { recursive: true });
  // one stack per home: a second serve/start here would stop the first one's database
  const releaseHome = lockHome(config.home);
  let cluster: Cluster | undefined;
  let databaseUrl = config.databaseUrl;
  let runtimeDatabaseUrl: string | undefined; // external: DATABASE_RUNTIME_URL passes through from the environment
  if (!databaseUrl) {
    say(`starting embedded PostgreSQL (data in ${path.join(config.home, 'pg')})…`);
    try {
      cluster = await startCluster({ dataDir: path.join(config.home, 'pg'), database: 'strongroom' });
      // the superuser only provisions: the engine migrates as the owner and works as the runtime login
      const logins = await provisionApplicationLogins(cluster, 'strongroom');
      databaseUrl = logins.ownerUrl;
      runtimeDatabaseUrl = logins.runtimeUrl;
    } catch (err) {
      await cluster?.stop();
      releaseHome();
      throw err;
    }
    say(`PostgreSQL ${cluster.binaries.version} on 127.0.0.1:${cluster.port}`);
  }
  // production has no development secret: callers bring their identity provider's tokens (the JWKS settings)
  const jwtSecret = config.production
    ? undefined
    : (config.env.GATEWAY_JWT_SECRET ?? readOrCreateDevSecret(config.home));
  const baseEnv = {
    ...config.env,
    STRONGROOM_HOME: config.home,
    // the engine runs from the repository; outside production it may also read below the folder serve was started from
    STRONGROOM_SOURCE_ROOTS: sourceRootsSetting(config),
  };
  let engine: { child: ChildProcess; address: string; metricsUrl: string | null } | undefined;
  let gateway: { child: ChildProcess; address: string; metricsUrl: string | null } | undefined;
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await stopChild(gateway?.child, 10_000);
    await stopChild(engine?.child, 45_000);
    await cluster?.stop();
    releaseHome();
  };
  try {
    engine = await startChild('engine', ENGINE_ENTRY, {
      ...baseEnv,
      DATABASE_URL: databaseUrl,
      ...(runtimeDatabaseUrl ? { DATABASE_RUNTIME_URL: runtimeDatabaseUrl } : {}),
      ENGINE_PORT: String(config.enginePort),
      // the engine verifies the same development tokens the gateway does (production: the JWKS settings)
      ...(jwtSecret ? { GATEWAY_JWT_SECRET: jwtSecret } : {}),
    });
    // the console the gateway serves at `/` (unless GATEWAY_CONSOLE_DIR points elsewhere or is off)
    if (!config.env.GATEWAY_CONSOLE_DIR) {
      const built = ensureConsoleBuilt(ROOT);
      if (built) say(built);
    }
    gateway = await startChild('gateway', 'apps/gateway/src/main.ts', {
      ...baseEnv,
      STRONGROOM_ENGINE: engine.address,
      GATEWAY_PORT: String(config.gatewayPort),
      ...(jwtSecret ? { GATEWAY_JWT_SECRET: jwtSecret } : {}),
    });
  } catch (err) {
    await stop();
    throw err;
  }
  const crashed = new Promise<string>((resolve) => {
    for (const [name, c] of [
      ['engine', engine],
      ['gateway', gateway],
    ] as const) {
      c?.child.once('exit', (code) => {
        if (stopping) return;
        void stop().then(() => resolve(`${name} exited unexpectedly (${code})`));
      });
    }
  });
  const token = (secret: string, role: 'viewer' | 'operator' | 'auditor' | 'admin') =>
    signDevToken({ sub: `dev-${role}`, roles: [role], ttlSeconds: 12 * 3600 }, secret);
  return {
    engineAddress: engine.address,
    graphqlUrl: gateway.address,
    consoleUrl: new URL('/', gateway.address).toString(),
    metricsUrls: [engine.metricsUrl, gateway.metricsUrl].filter((u): u is string => u !== null),
    databaseUrl,
    embedded: Boolean(cluster),
    devTokens: jwtSecret
      ? {
          viewer: token(jwtSecret, 'viewer'),
          operator: token(jwtSecret, 'operator'),
          auditor: token(jwtSecret, 'auditor'),
          admin: token(jwtSecret, 'admin'),
        }
      : undefined,
    stop,
    crashed,
  };
}

/** Stops the stack on SIGINT/SIGTERM (a second signal exits at once). Resolves with the exit code. */
export function untilSignal(stack: Stack): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = () => {
      if (stopping) process.exit(1);
      stopping = true;
      say('\nshutting down (Ctrl-C again to force)…');
      void stack.stop().then(() => resolve(0));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    void stack.crashed.then((why) => {
      say(`error: ${why}`);
      resolve(1);
    });
  });
}

export async function serveCommand(config: CliConfig): Promise<number> {
  const stack = await startStack(config);
  process.stdout.write(
    `strongroom ready — engine ${stack.engineAddress} (gRPC), gateway ${stack.graphqlUrl} (GraphQL)\n`,
  );
  if (stack.metricsUrls.length) say(`metrics (Prometheus): ${stack.metricsUrls.join('  ')}`);
  say(`console: ${stack.consoleUrl} (sign in with a token)`);
  if (stack.devTokens) for (const [role, t] of Object.entries(stack.devTokens)) say(`dev token (${role}): ${t}`);
  else say("production: no development tokens — callers bring their identity provider's tokens");
  return untilSignal(stack);
}
