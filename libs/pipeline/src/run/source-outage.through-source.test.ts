import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCsvSource } from '@strongroom/connectors';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { BreakerRegistry, FILE_SOURCE_POLICY } from '@strongroom/resilience';
import { isSourceOutage, throughSource } from './source-outage';

// A real I/O error from the kernel: reading /proc/self/mem at offset 0 fails with EIO (nothing is mapped there).
const EIO_FILE = '/proc/self/mem';

describe('throughSource', () => {
  let registry: BreakerRegistry;
  beforeEach(() => (registry = new BreakerRegistry()));
  afterEach(() => registry.shutdown());

  it('turns a transient file-system error into a retryable SOURCE_UNAVAILABLE and opens the source breaker after 3 in a row', async () => {
    const breaker = registry.get({ ...FILE_SOURCE_POLICY, resetTimeoutMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      const err = await throughSource(breaker, EIO_FILE, () => openCsvSource({ path: EIO_FILE })).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StrongroomError);
      expect(err).toMatchObject({ code: ErrorCode.SOURCE_UNAVAILABLE, retryable: true });
      expect((err as Error).message).toContain('(EIO)');
    }
    expect(breaker.state).toBe('OPEN');
    let called = false;
    const refused = await throughSource(breaker, EIO_FILE, async () => {
      called = true;
    }).catch((e: unknown) => e);
    expect(called).toBe(false); // fail fast: the source is not touched while the breaker is open
    expect(refused).toMatchObject({ code: ErrorCode.SOURCE_UNAVAILABLE, retryable: true });
    expect((refused as Error).message).toContain('circuit breaker source:file is open');
  });

  it('leaves a missing file and bad data as they are: not retryable, not counted against the source', async () => {
    const breaker = registry.get(FILE_SOURCE_POLICY);
    const missing = path.join(os.tmpdir(), `strongroom-missing-${process.pid}.csv`);
    for (let i = 0; i < 4; i++) {
      await expect(throughSource(breaker, missing, () => openCsvSource({ path: missing }))).rejects.toMatchObject({
        code: ErrorCode.SOURCE_UNAVAILABLE,
        retryable: false,
      });
    }
    const malformed = new StrongroomError(ErrorCode.SOURCE_MALFORMED, 'bad header');
    await expect(throughSource(breaker, 'x.csv', () => Promise.reject(malformed))).rejects.toBe(malformed);
    expect(breaker.state).toBe('CLOSED');
    expect(isSourceOutage(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe(false);
    expect(isSourceOutage(Object.assign(new Error('x'), { code: 'ESTALE' }))).toBe(true);
  });

  it('reads a healthy file through the breaker unchanged', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-src-'));
    const file = path.join(dir, 'ok.csv');
    fs.writeFileSync(file, 'id,amount\n1,1.00\n2,2.00\n');
    try {
      const breaker = registry.get(FILE_SOURCE_POLICY);
      const src = await throughSource(breaker, file, () => openCsvSource({ path: file }));
      const reader = src.records(() => ({ records: 10, bytes: 1 << 20 }))[Symbol.asyncIterator]();
      const first = await throughSource(breaker, file, () => reader.next());
      expect(first.done).toBe(false);
      expect(first.value?.length).toBe(2);
      expect((await throughSource(breaker, file, () => reader.next())).done).toBe(true);
      src.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
