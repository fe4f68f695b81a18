import { readFileSync } from 'node:fs';

/**
 * The value of one series in a Prometheus text exposition: `name` with every given label
 * (`'a="x",b="y"'`, in any order, other labels allowed), or undefined when there is none.
 */
export function promSample(text: string, name: string, labels = ''): number | undefined {
  const wanted = labels ? labels.split(/,(?=[a-z_]+=")/) : [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const series = line.slice(0, line.lastIndexOf(' '));
    if (series !== name && !series.startsWith(`${name}{`)) continue;
    const have = series.slice(name.length + 1, -1).split(/,(?=[a-z_]+=")/);
    if (wanted.every((l) => have.includes(l))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** Resident set size of a process in bytes (Linux /proc), 0 when it is gone. */
export function processRss(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}
