import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import { canAccess, findPgBinaries, runAsUser, type PgBinaries, type RunAs } from './binaries';
import { stopPostmasterOf } from './orphans';

export interface ClusterOptions {
  /** Data directory; created and initialised when empty. */
  dataDir: string;
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Database created after start (default "strongroom"). */
  database?: string;
  /**
   * Throwaway clusters (tests) skip fsync and use trust auth. Persistent clusters keep fsync on and
   * require a password (generated once, stored with mode 0600 next to the data directory).
   */
  ephemeral?: boolean;
  /** Extra server settings (`-c name=value`). */
  settings?: Record<string, string>;
  /** Receives the server's log lines. */
  onLog?: (line: string) => void;
}

export interface Cluster {
  /** postgres:// URL of the created database, as the superuser. */
  url: string;
  /** postgres:// URL without a database path component. */
  serverUrl(database: string): string;
  port: number;
  binaries: PgBinaries;
  dataDir: string;
  /** Fast shutdown (rolls back open transactions, then exits). */
  stop(): Promise<void>;
  /** Immediate shutdown, like `pg_ctl stop -m immediate`: no checkpoint, crash recovery on next start. */
  stopImmediate(): Promise<void>;
}

const SUPERUSER = 'strongroom';

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const runAs = runAsUser();
  const binaries = findPgBinaries(runAs);
  const dataDir = path.resolve(options.dataDir);
  const ephemeral = options.ephemeral ?? false;
  prepareDataDir(dataDir, runAs);
  const password = ephemeral ? undefined : readOrCreatePassword(dataDir);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) initdb(binaries, dataDir, runAs, password, ephemeral);
  await stopPostmasterOf(dataDir); // a previous process of ours was killed and left its server running
  const port = options.port || (await freePort());
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    max_connections: '200',
    ...(ephemeral ? { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' } : {}),
    ...options.settings,
  };
  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
  ];
  const child = spawn(path.join(binaries.binDir, 'postgres'), args, {
    // its own process group: the terminal's Ctrl-C reaches our supervisor, which stops the engine (and its
    // final audit checkpoint) before the database — not the database at once
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
    env: { ...process.env, LC_ALL: 'C' },
  });
  const log: string[] = [];
  const onData = (buf: Buffer) => {
    for (const line of buf.toString('utf8').split('\n')) {
      if (!line) continue;
      log.push(line);
      if (log.length > 50) log.shift();
      options.onLog?.(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const auth = password ? `${SUPERUSER}:${encodeURIComponent(password)}` : SUPERUSER;
  const serverUrl = (db: string) => `postgres://${auth}@127.0.0.1:${port}/${db}`;
  await waitReady(child, serverUrl('postgres'), log);
  const database = options.database ?? 'strongroom';
  await ensureDatabase(serverUrl('postgres'), database);
  return {
    url: serverUrl(database),
    serverUrl,
    port,
    binaries,
    dataDir,
    stop: () => stopChild(child),
    stopImmediate: () => stopChild(child, 'SIGQUIT'),
  };
}

function prepareDataDir(dataDir: string, runAs: RunAs | undefined): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) {
    fs.chownSync(dataDir, runAs.uid, runAs.gid);
    if (!canAccess(runAs, dataDir, 'w')) {
      throw new Error(
        `the ${runAs.user} user cannot write ${dataDir} (a parent directory is closed to it); ` +
          'set STRONGROOM_HOME to a reachable directory or use DATABASE_URL',
      );
    }
  }
  fs.chmodSync(dataDir, 0o700);
}

function readOrCreatePassword(dataDir: string): string {
  const file = `${dataDir}.password`;
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const pw = randomBytes(18).toString('base64url');
  fs.writeFileSync(file, `${pw}\n`, { mode: 0o600 });
  return pw;
}

function initdb(
  bin: PgBinaries,
  dataDir: string,
  runAs: RunAs | undefined,
  password: string | undefined,
  ephemeral: boolean,
): void {
  const args = ['-D', dataDir, '-U', SUPERUSER, '-E', 'UTF8', '--no-locale'];
  let pwFile: string | undefined;
  if (password) {
    pwFile = path.join(dataDir, '..', `.initdb-pw-${process.pid}`);
    fs.writeFileSync(pwFile, password, { mode: 0o600 });
    if (runAs) fs.chownSync(pwFile, runAs.uid, runAs.gid);
    args.push('--auth=scram-sha-256', `--pwfile=${pwFile}`);
  } else {
    args.push('--auth=trust');
  }
  if (ephemeral) args.push('--no-sync');
  try {
    const r = spawnSync(path.join(bin.binDir, 'initdb'), args, {
      encoding: 'utf8',
      ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
      env: { ...process.env, LC_ALL: 'C' },
    });
    if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr || r.stdout}`);
  } finally {
    if (pwFile) fs.rmSync(pwFile, { force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

async function waitReady(child: ChildProcess, url: string, log: string[]): Promise<void> {
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exited !== null) throw new Error(`postgres exited (${exited}) during start:\n${log.join('\n')}`);
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`postgres did not become ready within 60 s:\n${log.join('\n')}`);
}

async function ensureDatabase(url: string, database: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (r.rowCount === 0) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGQUIT'), 15_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal); // SIGINT: fast shutdown; SIGQUIT: immediate
  });
}
