import { spawn } from 'node:child_process';
import path from 'node:path';
import { childBaseEnv } from './harness-env';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * Runs the real CLI (`bin/strongroom.js`) from the repository root with only the given environment. With
 * `stopReadingAfter`, the test stops reading its standard output after that many characters and closes the pipe,
 * as `| head` does.
 */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  stopReadingAfter?: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'strongroom.js'), ...args], {
      cwd: ROOT,
      env: { ...childBaseEnv(), ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (stopReadingAfter !== undefined && stdout.length >= stopReadingAfter) child.stdout.destroy();
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
