// Per-key token buckets, refilled continuously (OWASP rate limiting): the gateway's per-subject and
// per-address limits and the engine's per-address limit of calls without a valid credential. In memory,
// per process; several replicas each allow the rate.

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    /** Requests per minute per key; 0 turns the limit off. */
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** Takes one request from `key`'s bucket: undefined when allowed, else the seconds until one is back. */
  take(key: string): number | undefined {
    if (this.perMinute <= 0) return undefined;
    const wait = this.waitOf(key);
    if (wait !== undefined) return wait;
    const b = this.buckets.get(key) as { tokens: number; at: number };
    b.tokens -= 1;
    return undefined;
  }

  /** Whether `key`'s bucket is empty, without taking from it: the seconds until one is back, or undefined. */
  waitOf(key: string): number | undefined {
    if (this.perMinute <= 0) return undefined;
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.perMinute, at: t };
    b.tokens = Math.min(this.perMinute, b.tokens + (t - b.at) * this.perMs);
    b.at = t;
    this.buckets.set(key, b);
    if (this.buckets.size > 100_000) this.prune(t);
    return b.tokens < 1 ? Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000)) : undefined;
  }

  /** Drops buckets that are full again (idle keys), bounding memory. */
  private prune(t: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + (t - b.at) * this.perMs >= this.perMinute) this.buckets.delete(k);
  }
}
