import { appendAudit } from '@strongroom/audit';
import { DenialCounter, type Denial, type DenialBatch } from '@strongroom/auth';
import { type DataSource, sqlExec } from '@strongroom/db';
import { type Logger } from '@strongroom/logging';

/**
 * Denied requests into the audit chain (PCI DSS 10.2.1.4: invalid logical access attempts), rate-bounded:
 * the engine's own refusals and those the gateway reports are counted by kind (DenialCounter) and written
 * as one `access:denied` entry per interval, so a flood of bad tokens costs the chain one entry per
 * interval, not one per attempt. Each denial is also logged at warn where it happened.
 */
export class DenialLog {
  private readonly counter = new DenialCounter();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ds: DataSource,
    private readonly logger: Logger,
    private readonly intervalSeconds: number,
  ) {}

  record(d: Denial): void {
    this.counter.add(d);
  }

  /** Adds a batch counted elsewhere (the gateway's report). */
  merge(batch: DenialBatch): void {
    this.counter.restore(batch);
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
    if (this.counter.empty) return;
    const batch = this.counter.drain();
    const total = batch.denials.reduce((n, d) => n + d.count, 0) + batch.dropped;
    try {
      await this.ds.transaction((em) =>
        appendAudit(sqlExec(em), {
          actor: 'service:engine',
          action: 'access:denied',
          subject: { denials: total },
          details: { denials: batch.denials, dropped: batch.dropped },
        }),
      );
    } catch (err) {
      // the database is away: keep the counts for the next interval rather than lose them
      this.counter.restore(batch);
      this.logger.warn('audit:denials-not-written', { error: String(err), pending: total });
    }
  }
}
