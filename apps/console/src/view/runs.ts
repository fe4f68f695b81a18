// What the run pages show, as plain functions (unit-tested without a browser).

export type RunStatus = 'PENDING' | 'RUNNING' | 'PAUSED' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export interface RunCounts {
  read: number;
  loaded: number;
  deadLettered: number;
  filtered: number;
}

/** Conservation (I1): every record read is loaded, dead-lettered or filtered — or the run says it is not. */
export function conservation(run: RunCounts): { holds: boolean; text: string } {
  const accounted = run.loaded + run.deadLettered + run.filtered;
  return accounted === run.read
    ? {
        holds: true,
        text: `${fmt(run.read)} read = ${fmt(run.loaded)} loaded + ${fmt(run.deadLettered)} dead-lettered + ${fmt(run.filtered)} filtered`,
      }
    : { holds: false, text: `${fmt(run.read)} read, but ${fmt(accounted)} accounted for` };
}

/** Order of attention: failures first, then runs that need watching, then the rest; newest first within. */
const ATTENTION: Record<RunStatus, number> = {
  FAILED: 0,
  PAUSED: 1,
  RUNNING: 2,
  PENDING: 3,
  CANCELLED: 4,
  SUCCEEDED: 5,
};

export function failuresFirst<R extends { status: RunStatus; createdAt: string | null }>(runs: readonly R[]): R[] {
  return [...runs].sort(
    (a, b) => ATTENTION[a.status] - ATTENTION[b.status] || (b.createdAt ?? '').localeCompare(a.createdAt ?? ''),
  );
}

/** Runs created within `sinceMs` of `now` (all when sinceMs is 0). */
export function createdWithin<R extends { createdAt: string | null }>(
  runs: readonly R[],
  sinceMs: number,
  now: number,
): R[] {
  if (!sinceMs) return [...runs];
  return runs.filter((r) => r.createdAt !== null && now - Date.parse(r.createdAt) <= sinceMs);
}

export const LIVE: ReadonlySet<RunStatus> = new Set(['PENDING', 'RUNNING', 'PAUSED']);

/** A count with thousands separators (counts are exact integers). */
export function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

/** Progress of a run in [0, 1] by bytes, when the size is known. */
export function progress(bytesRead: number, sourceBytes: number): number | undefined {
  return sourceBytes > 0 ? Math.min(1, bytesRead / sourceBytes) : undefined;
}

/** One point of the throughput plot: seconds since the first snapshot, records per second since the last. */
export interface RatePoint {
  t: number;
  rate: number;
}

/**
 * Adds a progress snapshot to the throughput series: the rate between two snapshots (records read per
 * second of the time between them). Snapshots that do not move time forward are ignored.
 */
export function addSnapshot(
  series: { points: RatePoint[]; last?: { at: number; read: number }; start?: number },
  at: number,
  read: number,
): { points: RatePoint[]; last: { at: number; read: number }; start: number } {
  const start = series.start ?? at;
  const last = series.last;
  if (!last) return { points: series.points, last: { at, read }, start };
  if (at <= last.at) return { points: series.points, last, start };
  const rate = Math.max(0, (read - last.read) / ((at - last.at) / 1000));
  return { points: [...series.points, { t: (at - start) / 1000, rate }], last: { at, read }, start };
}
