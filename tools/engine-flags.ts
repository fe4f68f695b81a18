// The in-process developer tools measure the engine's code, so they run under the engine's Node flags
// (ENGINE_NODE_FLAGS: its young generation): started without them, a tool runs itself again with them.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ENGINE_NODE_FLAGS } from '@strongroom/config';

/** Returns when this process runs with the engine's flags; otherwise runs the tool again with them and exits with its code. */
export function runWithEngineFlags(): void {
  if (ENGINE_NODE_FLAGS.every((f) => process.execArgv.includes(f))) return;
  const r = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      ...ENGINE_NODE_FLAGS,
      path.join(__dirname, '..', 'bin', 'run-ts.js'),
      ...process.argv.slice(1),
    ],
    { stdio: 'inherit' },
  );
  process.exit(r.status ?? 1);
}
