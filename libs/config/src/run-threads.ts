import os from 'node:os';

/**
 * The engine's run threads by default (ENGINE_RUN_THREADS unset): the cores beyond two, at most 8. On 2 cores
 * (where PostgreSQL shares the machine) one thread did not pay at the default partition size: a million rows
 * loaded at a median of 55,496 rows/s with it against 65,324 without (docs/performance-tuning.md).
 */
export function defaultRunThreads(cores: number = os.availableParallelism()): number {
  return Math.max(0, Math.min(8, cores - 2));
}
