import { PassThrough } from 'node:stream';
import { createLogger } from './logger';

/** The lines a logger of `format` writes for `write`. */
async function linesOf(format: 'json' | 'pretty', write: (log: ReturnType<typeof createLogger>) => void) {
  const stream = new PassThrough();
  let out = '';
  stream.on('data', (b: Buffer) => (out += b.toString('utf8')));
  write(createLogger({ service: 't', format, stream }));
  await new Promise((r) => setTimeout(r, 50)); // winston writes asynchronously
  return out.split('\n').filter(Boolean);
}

describe('createLogger', () => {
  it('masks card numbers in nested log values, not only in top-level strings', async () => {
    const [line] = await linesOf('json', (log) =>
      log.info('row:rejected', { row: { reference: 'card 4111 1111 1111 1111', list: ['5555-5555-5555-4444'] } }),
    );
    expect(line).toContain('411111******1111');
    expect(line).toContain('555555******4444');
    expect(line).not.toMatch(/4111 1111|5555-5555-5555-4444/);
  });

  it('never lets a value start a new line in the readable format (no forged log lines)', async () => {
    const lines = await linesOf('pretty', (log) =>
      log.warn('column "amount\n12:00:00.000 info  run:succeeded" unknown', { column: 'a\r\nb' }),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('amount\\u000a12:00:00.000 info  run:succeeded');
  });
});
