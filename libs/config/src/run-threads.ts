import fs from 'node:fs';
import os from 'node:os';

/** Reads a file as text (the cgroup files, injectable for tests). */
type ReadText = (file: string) => string;

/**
 * The cores this process may use: the CPUs it may run on, capped by a cgroup CPU quota (a container's CPU
 * limit, which `os.availableParallelism()` does not see: a pod limited to 2 CPUs on a 64-core node would
 * otherwise count 64). cgroup v2 (`cpu.max`) and v1 (`cpu.cfs_quota_us` / `cpu.cfs_period_us`).
 */
export function usableCores(
  cpus: number = os.availableParallelism(),
  read: ReadText = (f) => fs.readFileSync(f, 'utf8'),
): number {
  const quota = cgroupQuota(read);
  return quota === undefined ? cpus : Math.max(1, Math.min(cpus, Math.ceil(quota)));
}

/** The cgroup's CPU quota in cores, or undefined when there is none (or it cannot be read). */
function cgroupQuota(read: ReadText): number | undefined {
  const ratio = (quota: string | undefined, period: string | undefined) => {
    const q = Number(quota);
    const p = Number(period);
    return q > 0 && p > 0 ? q / p : undefined;
  };
  try {
    const [quota, period] = read('/sys/fs/cgroup/cpu.max').trim().split(/\s+/);
    return quota === 'max' ? undefined : ratio(quota, period);
  } catch {
    // not cgroup v2
  }
  try {
    return ratio(
      read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us').trim(),
      read('/sys/fs/cgroup/cpu/cpu.cfs_period_us').trim(),
    );
  } catch {
    return undefined;
  }
}

/**
 * The engine's run threads by default (ENGINE_RUN_THREADS unset): the usable cores beyond two, at most 8. On 2
 * cores (where PostgreSQL shares the machine) one thread did not pay at the default partition size: a million
 * rows loaded at a median of 55,496 rows/s with it against 65,324 without (docs/performance-tuning.md).
 */
export function defaultRunThreads(cores: number = usableCores()): number {
  return Math.max(0, Math.min(8, cores - 2));
}
