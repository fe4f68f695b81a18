import { appendAudit } from '@strongroom/audit';
import { type DataSource, sqlExec } from '@strongroom/db';
import { type Logger } from '@strongroom/logging';
import { type Breaker, type BreakerTransition } from '@strongroom/resilience';

/**
 * Makes breaker transitions durable and visible: each is upserted into circuit_breaker_states and
 * appended to the audit chain (one transaction). A transition that happens while the database is
 * unreachable (the postgres breaker opening) is kept and written, in order, once it can be.
 */
export class BreakerJournal {
  private readonly pending: BreakerTransition[] = [];
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly ds: DataSource,
    private readonly logger: Logger,
  ) {}

  record(t: BreakerTransition): void {
    this.logger.warn(`breaker:${t.to === 'OPEN' ? 'opened' : t.to === 'CLOSED' ? 'closed' : 'half-opened'}`, {
      breaker: t.name,
      from: t.from,
      failures: t.failures,
    });
    this.pending.push(t);
    this.flushing = this.flushing.then(() => this.flush());
  }

  /** Writes what is pending; stops at the first failure (the database is still away) and keeps the rest. */
  async flush(): Promise<void> {
    while (this.pending.length) {
      const t = this.pending[0] as BreakerTransition;
      try {
        await this.ds.transaction(async (em) => {
          await em.query(
            `INSERT INTO circuit_breaker_states (name, state, failure_count, opened_at, last_transition_at, details)
             VALUES ($1, $2, $3, CASE WHEN $2 = 'OPEN' THEN $4::timestamptz END, $4, $5)
             ON CONFLICT (name) DO UPDATE SET state = $2, failure_count = $3,
               opened_at = CASE WHEN $2 = 'OPEN' THEN $4::timestamptz ELSE circuit_breaker_states.opened_at END,
               last_transition_at = $4, details = $5`,
            [t.name, t.to, t.failures, t.at.toISOString(), JSON.stringify({ from: t.from })],
          );
          await appendAudit(sqlExec(em), {
            actor: 'service:engine',
            action: t.to === 'OPEN' ? 'breaker:opened' : t.to === 'CLOSED' ? 'breaker:closed' : 'breaker:half_opened',
            subject: { breaker: t.name },
            details: { from: t.from, failures: t.failures, at: t.at.toISOString() },
          });
        });
        this.pending.shift();
      } catch {
        return; // retried on the next transition (the breaker closing means the database is back)
      }
    }
  }
}

/**
 * Waits until the database answers again: while the breaker is not closed, sends one probe through it
 * every `intervalMs` (a probe in half-open state that succeeds closes the breaker).
 */
export async function untilDatabaseAnswers(
  db: Breaker,
  probe: () => Promise<unknown>,
  intervalMs: number,
  stopped: () => boolean,
): Promise<void> {
  while (!stopped()) {
    try {
      await db.call(probe);
      if (db.state === 'CLOSED') return;
    } catch {
      // still away (or the breaker is open and refused the probe): wait and try again
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
