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
      // the parent's Node options but an inspector's (the parent holds its port)
      ...process.execArgv.filter((a) => !a.startsWith('--inspect')),
      ...ENGINE_NODE_FLAGS,
      path.join(__dirname, '..', 'bin', 'run-ts.js'),
      ...process.argv.slice(1),
    ],
    { stdio: 'inherit' },
  );
  if (r.error || r.signal)
    console.error(`engine-flags: the tool run again did not finish: ${r.error?.message ?? r.signal}`);
  process.exit(r.status ?? 1);
}
