import fs from 'node:fs';
import { type EngineConfig } from './config';

/**
 * Test-only crash points (STRONGROOM_TEST_CRASH_AT): SIGKILL at the n-th hit of a named point. `scope` (a run
 * thread's "thread") names the points a second time with its prefix ("thread:batch:after-commit"), so a test can
 * kill the engine at a point only its run threads reach.
 */
export function crashHook(config: EngineConfig, scope?: string): { crash?: (point: string) => void } {
  if (!config.crashAt.size) return {};
  const hits = new Map<string, number>();
  const hit = (point: string) => {
    const at = config.crashAt.get(point);
    if (at === undefined) return;
    const n = (hits.get(point) ?? 0) + 1;
    hits.set(point, n);
    if (n === at) {
      // straight to the descriptor: a worker thread's process.stderr reaches it through the main thread, too late
      fs.writeSync(2, `crash point ${point} reached (hit ${n}): killing the engine\n`);
      process.kill(process.pid, 'SIGKILL');
    }
  };
  return {
    crash(point) {
      if (scope) hit(`${scope}:${point}`);
      hit(point);
    },
  };
}
