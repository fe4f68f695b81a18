/**
 * Steers the batch size toward a target commit latency within [min, max]: after each commit the
 * size is scaled by target/actual, damped (at most ×2 or ÷2 per step) so one slow commit does not
 * collapse throughput.
 */
export class AdaptiveBatchSize {
  private size: number;

  constructor(
    private readonly min: number,
    private readonly max: number,
    private readonly targetMs: number,
    start?: number,
  ) {
    this.size = clamp(start ?? min, min, max);
  }

  get current(): number {
    return this.size;
  }

  /** Feed the commit time of a batch of `records` records. */
  observe(records: number, commitMs: number): void {
    if (records < this.size / 2) return; // a short tail batch says little about the size
    const ratio = Math.min(2, Math.max(0.5, this.targetMs / Math.max(commitMs, 1)));
    this.size = clamp(Math.round(this.size * ratio), this.min, this.max);
  }
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}
