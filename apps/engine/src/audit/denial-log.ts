import { appendAudit } from '@strongroom/audit';
import { type DataSource, sqlExec } from '@strongroom/db';
import { type Logger } from '@strongroom/logging';

/** One refused request: who (a verified actor, or the client's address), what, and why. */
export interface Denial {
  /** `user:<sub>` when the caller was identified, else `address:<ip>`. */
  who: string;
  /** The RPC, or the GraphQL field or transport the gateway refused. */
  what: string;
  /** UNAUTHENTICATED, PERMISSION_DENIED, SOURCE_OUTSIDE_ROOTS (engine) or 401/403/4403 (gateway). */
  code: string;
  reason: string;
  /** `engine` or `gateway`. */
  via: string;
}

interface Pending extends Denial {
  count: number;
  first: string;
  last: string;
}

/**
 * Denied requests into the audit chain (PCI DSS 10.2.1.4: invalid logical access attempts), rate-bounded:
 * denials are counted by who/what/code/reason and written as one `access:denied` entry per interval
 * (at most `maxKinds` kinds each; the rest are counted as `dropped`), so a flood of bad tokens costs the
 * chain one entry per interval, not one per attempt. Each denial is also logged at warn by its caller.
 */
export class DenialLog {
  private pending = new Map<string, Pending>();
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ds: DataSource,
    private readonly logger: Logger,
    private readonly intervalSeconds: number,
    private readonly maxKinds = 100,
    private readonly now: () => Date = () => new Date(),
  ) {}

  record(d: Denial): void {
    const denial = { ...d, reason: d.reason.slice(0, 300), who: d.who.slice(0, 200), what: d.what.slice(0, 200) };
    const key = JSON.stringify([denial.who, denial.what, denial.code, denial.reason, denial.via]);
    const at = this.now().toISOString();
    const hit = this.pending.get(key);
    if (hit) {
      hit.count += 1;
      hit.last = at;
    } else if (this.pending.size < this.maxKinds) {
      this.pending.set(key, { ...denial, count: 1, first: at, last: at });
    } else {
      this.dropped += 1;
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  /** Writes what was counted since the last flush as one audit entry (nothing when nothing was denied). */
  async flush(): Promise<void> {
    if (!this.pending.size && !this.dropped) return;
    const denials = [...this.pending.values()];
    const dropped = this.dropped;
    this.pending = new Map();
    this.dropped = 0;
    const total = denials.reduce((n, d) => n + d.count, 0) + dropped;
    try {
      await this.ds.transaction((em) =>
        appendAudit(sqlExec(em), {
          actor: 'service:engine',
          action: 'access:denied',
          subject: { denials: total },
          details: { denials, dropped },
        }),
      );
    } catch (err) {
      // the database is away: keep the counts for the next interval rather than lose them
      for (const d of denials) {
        const key = JSON.stringify([d.who, d.what, d.code, d.reason, d.via]);
        const hit = this.pending.get(key);
        if (hit) hit.count += d.count;
        else if (this.pending.size < this.maxKinds) this.pending.set(key, d);
        else this.dropped += d.count;
      }
      this.dropped += dropped;
      this.logger.warn('audit:denials-not-written', { error: String(err), pending: total });
    }
  }
}
