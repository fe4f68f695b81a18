/**
 * Operator and engine requests to a run this engine works on, checked between batches: pause (the run
 * goes PAUSED and the partition back), cancel, stop-for-shutdown (the run stays RUNNING with consistent
 * checkpoints; any replica resumes it), and release (the partition goes back and the run's status is left
 * to others: an engine's run threads on a pause, which the engine itself records — a thread that paused
 * late could pause again a run resumed meanwhile).
 */
export type RunRequest = 'run' | 'pause' | 'cancel' | 'shutdown' | 'release';

export class RunControl {
  private state: RunRequest = 'run';
  private by: string | undefined;
  private why: string | undefined;
  private readonly listeners: ((request: RunRequest, by?: string, reason?: string) => void)[] = [];
  /** Set by the executor when a dependency outage (database, source) interrupted the run: it resumes by itself. */
  interrupted: string | undefined;

  get requested(): RunRequest {
    return this.state;
  }

  /** Who asked for the current request (`user:<sub>`), for the audit entry of its effect; undefined: the engine. */
  get requestedBy(): string | undefined {
    return this.by;
  }

  /** The reason the requester gave, if any (audited with the effect, shown with the run's status). */
  get reason(): string | undefined {
    return this.why;
  }

  /** Later requests win, except that cancel and shutdown are final. */
  request(next: RunRequest, by?: string, reason?: string): void {
    if (this.state === 'cancel' || this.state === 'shutdown') return;
    this.state = next;
    this.by = by;
    this.why = reason;
    for (const l of this.listeners) l(next, by, reason);
  }

  /** Calls `listener` with each request taken from now on (the engine's run threads follow the run's control). */
  onRequest(listener: (request: RunRequest, by?: string, reason?: string) => void): void {
    this.listeners.push(listener);
  }
}
