import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Whether a process with this pid exists (EPERM: it does, but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Stops a server still running on `dataDir` (left behind by a killed process), waiting for it to exit. */
export async function stopPostmasterOf(dataDir: string, signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return;
  // Only signal it if it really is a postgres serving this directory.
  const cmdline = readCmdline(pid);
  if (!cmdline.includes('postgres') || !cmdline.includes(dataDir)) return;
  process.kill(pid, signal);
  const deadline = Date.now() + 20_000;
  while (processAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (processAlive(pid)) process.kill(pid, 'SIGKILL');
}

function readCmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * Removes throwaway test clusters whose owning process is gone (a killed `npm test`): directories
 * named `strongroom-test-<pid>-*` in the temp dir. Returns how many were removed.
 */
export async function cleanupOrphanClusters(prefix = 'strongroom-test-'): Promise<number> {
  const tmp = os.tmpdir();
  let removed = 0;
  for (const name of fs.readdirSync(tmp)) {
    if (!name.startsWith(prefix)) continue;
    const owner = Number(name.slice(prefix.length).split('-')[0]);
    if (!Number.isInteger(owner) || owner <= 0 || processAlive(owner)) continue;
    const dir = path.join(tmp, name);
    await stopPostmasterOf(path.join(dir, 'data'), 'SIGQUIT');
    fs.rmSync(dir, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
