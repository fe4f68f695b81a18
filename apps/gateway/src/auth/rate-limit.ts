// Per-subject rate limit (OWASP): a token bucket per authenticated subject, refilled continuously.
// In memory, per gateway process; several replicas each allow the rate (document it, or put a shared
// limiter in front).
import { GatewayError } from '../errors/gateway-error';

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** Takes one request from `subject`'s bucket or throws RATE_LIMITED (HTTP 429, retry-after). */
  take(subject: string): void {
    if (this.perMinute <= 0) return;
    const t = this.now();
    const b = this.buckets.get(subject) ?? { tokens: this.perMinute, at: t };
    b.tokens = Math.min(this.perMinute, b.tokens + (t - b.at) * this.perMs);
    b.at = t;
    if (b.tokens < 1) {
      this.buckets.set(subject, b);
      const retryAfter = Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
      throw new GatewayError('RATE_LIMITED', `too many requests; retry in ${retryAfter} s`, {
        retryable: true,
        httpStatus: 429,
        httpHeaders: new Map([['retry-after', String(retryAfter)]]),
      });
    }
    b.tokens -= 1;
    this.buckets.set(subject, b);
    if (this.buckets.size > 100_000) this.prune(t);
  }

  /** Drops buckets that are full again (idle subjects), bounding memory. */
  private prune(t: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + (t - b.at) * this.perMs >= this.perMinute) this.buckets.delete(k);
  }
}
