import { type EngineConfig } from './config';

/** Test-only crash points (STRONGROOM_TEST_CRASH_AT): SIGKILL at the n-th hit of a named point. */
export function crashHook(config: EngineConfig): { crash?: (point: string) => void } {
  if (!config.crashAt.size) return {};
  const hits = new Map<string, number>();
  return {
    crash(point) {
      const at = config.crashAt.get(point);
      if (at === undefined) return;
      const n = (hits.get(point) ?? 0) + 1;
      hits.set(point, n);
      if (n === at) {
        process.stderr.write(`crash point ${point} reached (hit ${n}): killing the engine\n`);
        process.kill(process.pid, 'SIGKILL');
      }
    },
  };
}
