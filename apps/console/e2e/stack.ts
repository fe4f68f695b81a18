// The real stack for the console's browser tests: `strongroom serve` as a person starts it (embedded
// PostgreSQL, engine, gateway serving the built console), in a home of its own, and Debian's chromium.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { childBaseEnv, makeTempDir } from '@strongroom/testing';

export const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Debian's chromium (or CHROMIUM_PATH): the browser tests run only where one is installed. */
export function chromiumPath(): string | undefined {
  const candidates = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  return candidates.find((p): p is string => !!p && fs.existsSync(p));
}

export interface ServedStack {
  home: string;
  consoleUrl: string;
  /** The embedded cluster's superuser URL (test fixtures and locks only). */
  databaseUrl: string;
  tokens: Record<'viewer' | 'operator' | 'auditor' | 'admin', string>;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * Starts `strongroom serve` on free ports (or the ones `extraEnv` names) and waits for it to print its
 * addresses and dev tokens; `extraEnv` adds settings (an identity provider, say).
 */
export async function serveStack(extraEnv: Record<string, string> = {}): Promise<ServedStack> {
  const home = makeTempDir('strongroom-console-');
  fs.chmodSync(home, 0o755); // the embedded server may run as the postgres user
  const env = {
    ...childBaseEnv(),
    STRONGROOM_HOME: home,
    ENGINE_PORT: '0',
    GATEWAY_PORT: '0',
    LOG_LEVEL: 'warn',
    ...extraEnv,
  };
  const child: ChildProcess = spawn(process.execPath, [path.join(ROOT, 'bin', 'strongroom.js'), 'serve'], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const deadline = Date.now() + 120_000;
  while (!/dev token \(admin\): \S+/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve did not come up:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const token = (role: string) =>
    (new RegExp(`dev token \\(${role}\\): (\\S+)`).exec(out) as RegExpExecArray)[1] as string;
  const consoleUrl = (/console: (http\S+)/.exec(out) as RegExpExecArray)[1] as string;
  const port = (/PostgreSQL \S+ on 127\.0\.0\.1:(\d+)/.exec(out) as RegExpExecArray)[1] as string;
  const engine = (/ready — engine (\S+)/.exec(out) as RegExpExecArray)[1] as string;
  const password = fs.readFileSync(path.join(home, 'pg.password'), 'utf8').trim();
  return {
    home,
    consoleUrl,
    databaseUrl: `postgres://strongroom:${encodeURIComponent(password)}@127.0.0.1:${port}/strongroom`,
    tokens: { viewer: token('viewer'), operator: token('operator'), auditor: token('auditor'), admin: token('admin') },
    // what the CLI needs to reach this stack's engine (and mint a development token from its home)
    env: { ...env, STRONGROOM_ENGINE: engine },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-(child.pid as number), 'SIGINT');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 60_000)))]);
      clearTimeout(timer); // a pending timer would keep jest alive for a minute after the tests
    },
  };
}
