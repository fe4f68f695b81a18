import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { backoffMs, withRetry } from './retry';

const FAST = { attempts: 3, baseMs: 1, maxMs: 2 };

describe('withRetry', () => {
  it('retries a retryable error until it succeeds, getting ready between attempts', async () => {
    const seen: number[] = [];
    const result = await withRetry(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 2) throw new StrongroomError(ErrorCode.UNAVAILABLE, 'database away', { retryable: true });
        return 'done';
      },
      FAST,
      async (_err, attempt) => void seen.push(100 + attempt),
    );
    expect(result).toBe('done');
    expect(seen).toEqual([0, 100, 1, 101, 2]);
  });

  it('gives up after the last attempt and never retries an error that is not retryable', async () => {
    let calls = 0;
    const transient = () => new StrongroomError(ErrorCode.UNAVAILABLE, 'away', { retryable: true });
    await expect(withRetry(async () => ((calls += 1), Promise.reject(transient())), FAST)).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      withRetry(
        async () => ((calls += 1), Promise.reject(new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'bad'))),
        FAST,
      ),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(calls).toBe(1);
  });

  it('draws full-jitter backoff below the doubled ceiling, capped at the maximum', () => {
    const policy = { attempts: 5, baseMs: 100, maxMs: 1000 };
    expect(backoffMs(policy, 0, () => 0.999)).toBe(99);
    expect(backoffMs(policy, 2, () => 0.5)).toBe(200);
    expect(backoffMs(policy, 10, () => 0.999)).toBe(999);
    expect(backoffMs(policy, 3, () => 0)).toBe(0);
  });
});
