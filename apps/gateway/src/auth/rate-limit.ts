// Per-subject rate limit (OWASP): a token bucket per authenticated subject, refilled continuously.
// In memory, per gateway process; several replicas each allow the rate (document it, or put a shared
// limiter in front).
import { TokenBuckets } from '@strongroom/auth';
import { GatewayError } from '../errors/gateway-error';

export class RateLimiter {
  private readonly buckets: TokenBuckets;

  constructor(perMinute: number, now: () => number = Date.now) {
    this.buckets = new TokenBuckets(perMinute, now);
  }

  /** Takes one request from `subject`'s bucket or throws RATE_LIMITED (HTTP 429, retry-after). */
  take(subject: string): void {
    const retryAfter = this.buckets.take(subject);
    if (retryAfter === undefined) return;
    throw new GatewayError('RATE_LIMITED', `too many requests; retry in ${retryAfter} s`, {
      retryable: true,
      httpStatus: 429,
      httpHeaders: new Map([['retry-after', String(retryAfter)]]),
    });
  }
}
