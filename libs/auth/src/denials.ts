/** One refused request: who (a verified actor, or the client's address), what, and why. */
export interface Denial {
  /** `user:<sub>` when the caller was identified, else `address:<ip>`. */
  who: string;
  /** The RPC, or the GraphQL field or transport refused. */
  what: string;
  /** UNAUTHENTICATED, PERMISSION_DENIED, SOURCE_OUTSIDE_ROOTS (engine); 401, 403, 4403, 429 (gateway). */
  code: string;
  reason: string;
  /** Which edge refused: `engine` or `gateway`. */
  via: string;
}

/** Denials of one kind, counted. Times are ISO 8601. */
export interface CountedDenial extends Denial {
  count: number;
  first: string;
  last: string;
}

/** What was counted since the last drain: at most `maxKinds` kinds, the rest only as a number. */
export interface DenialBatch {
  denials: CountedDenial[];
  dropped: number;
}

const LIMITS = { who: 200, what: 200, code: 40, reason: 300, via: 20 } as const;

/**
 * Counts refused requests by kind (who, what, code, reason, via) so that they can be written to the audit
 * chain rate-bounded: one entry per interval however many requests were refused (PCI DSS 10.2.1.4 asks
 * for every invalid access attempt; a flood must not turn the chain into a denial of service). Bounded in
 * memory: at most `maxKinds` kinds per interval; more are counted as `dropped`.
 */
export class DenialCounter {
  private pending = new Map<string, CountedDenial>();
  private dropped = 0;

  constructor(private readonly maxKinds = 100) {}

  /** Counts `count` denials of one kind seen between `first` and `last` (default: once, now). */
  add(d: Denial, count = 1, first: string = new Date().toISOString(), last: string = first): void {
    if (count <= 0) return;
    const denial: Denial = {
      who: d.who.slice(0, LIMITS.who),
      what: d.what.slice(0, LIMITS.what),
      code: d.code.slice(0, LIMITS.code),
      reason: d.reason.slice(0, LIMITS.reason),
      via: d.via.slice(0, LIMITS.via),
    };
    const key = JSON.stringify([denial.who, denial.what, denial.code, denial.reason, denial.via]);
    const hit = this.pending.get(key);
    if (hit) {
      hit.count += count;
      if (first < hit.first) hit.first = first;
      if (last > hit.last) hit.last = last;
    } else if (this.pending.size < this.maxKinds) {
      this.pending.set(key, { ...denial, count, first, last });
    } else {
      this.dropped += count;
    }
  }

  /** Counts denials that were only counted elsewhere (e.g. dropped by a gateway). */
  addDropped(n: number): void {
    if (n > 0) this.dropped += n;
  }

  get empty(): boolean {
    return this.pending.size === 0 && this.dropped === 0;
  }

  /** Takes what was counted and starts over. */
  drain(): DenialBatch {
    const batch = { denials: [...this.pending.values()], dropped: this.dropped };
    this.pending = new Map();
    this.dropped = 0;
    return batch;
  }

  /** Puts a batch back (its write failed), merging with what came meanwhile. */
  restore(batch: DenialBatch): void {
    for (const d of batch.denials) this.add(d, d.count, d.first, d.last);
    this.addDropped(batch.dropped);
  }
}
