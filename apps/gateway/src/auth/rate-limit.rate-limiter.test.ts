import { RateLimiter } from './rate-limit';

describe('RateLimiter', () => {
  it('allows the rate per subject, refuses beyond it with RATE_LIMITED / 429 and a retry-after, and refills', () => {
    let now = 0;
    const limiter = new RateLimiter(60, () => now);
    for (let i = 0; i < 60; i++) limiter.take('user:a');
    let err: unknown;
    try {
      limiter.take('user:a');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'RATE_LIMITED', extensions: { code: 'RATE_LIMITED', http: { status: 429 } } });
    expect(
      (err as { extensions: { http: { headers: Map<string, string> } } }).extensions.http.headers.get('retry-after'),
    ).toBe('1');
    limiter.take('user:b'); // another subject has its own bucket
    now += 1000; // one request per second comes back
    limiter.take('user:a');
    expect(() => limiter.take('user:a')).toThrow(/too many requests/);
  });

  it('is off at 0', () => {
    const limiter = new RateLimiter(0);
    for (let i = 0; i < 1000; i++) limiter.take('x');
  });
});
