/** How the CLI process ends: after its output is written, and quietly when its reader has gone away. */

/**
 * Exits with `code` once everything written has been handed over: standard output and error to a pipe are
 * asynchronous, and an exit right after a large write (a listing or a report of megabytes) would cut it short.
 */
export function exitWhenWritten(code: number, exit: (code: number) => void = (c) => process.exit(c)): void {
  process.exitCode = code;
  let pending = 2;
  const done = () => {
    if (--pending === 0) exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

/**
 * A reader that went away (`| head`, a pager closed) is not the command's failure: on EPIPE the process ends
 * quietly with the command's code (0 while it still runs); any other write error is thrown as before.
 */
export function endQuietlyWhenReaderGoes(
  stream: NodeJS.EventEmitter,
  exit: (code: number) => void = (c) => process.exit(c),
): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}
