// CPU seconds of processes (utime + stime of all their threads, from /proc): with the engine's own, which side
// limits a run (the developer tools' profiling and the bench).
import fs from 'node:fs';

/** A process's /proc stat line split after its name (so a name with spaces does not shift the fields), or undefined when it is gone. */
function statOf(pid: number | string): { name: string; fields: string[] } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    return { name: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
  } catch {
    return undefined; // the process ended
  }
}

const cpuTicks = (fields: string[]) => Number(fields[11]) + Number(fields[12]);

/** The running postgres processes, each with its CPU seconds. */
function postgresProcesses(): { pid: string; seconds: number }[] {
  const out: { pid: string; seconds: number }[] = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d))) {
    const stat = statOf(pid);
    if (stat?.name === 'postgres') out.push({ pid, seconds: cpuTicks(stat.fields) / 100 });
  }
  return out;
}

/** CPU seconds of all postgres processes. */
export function postgresCpuSeconds(): number {
  return postgresProcesses().reduce((sum, p) => sum + p.seconds, 0);
}

/** CPU seconds of one process; 0 when it is gone. */
export function processCpuSeconds(pid: number): number {
  const stat = statOf(pid);
  return stat ? cpuTicks(stat.fields) / 100 : 0;
}

/** CPU seconds of each postgres process, by its title ("postgres: walwriter", "postgres: user db [local] idle", …). */
export function postgresCpuByProcess(): Map<string, number> {
  const out = new Map<string, number>();
  for (const { pid, seconds } of postgresProcesses()) {
    let title = 'postgres';
    try {
      title = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
    } catch {
      // ended meanwhile
    }
    out.set(`${pid} ${title}`, seconds);
  }
  return out;
}
