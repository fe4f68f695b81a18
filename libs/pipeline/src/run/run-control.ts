/**
 * Operator and engine requests to a running run, checked between batches: pause, resume, cancel,
 * and stop-for-shutdown (the run stays RUNNING with a consistent checkpoint and resumes on restart).
 */
export type RunRequest = 'run' | 'pause' | 'cancel' | 'shutdown';

export class RunControl {
  private state: RunRequest = 'run';
  private by: string | undefined;
  private waiters: (() => void)[] = [];

  get requested(): RunRequest {
    return this.state;
  }

  /** Who asked for the current request (`user:<sub>`), for the audit entry of its effect; undefined: the engine. */
  get requestedBy(): string | undefined {
    return this.by;
  }

  /** Later requests win, except that cancel and shutdown are final. */
  request(next: RunRequest, by?: string): void {
    if (this.state === 'cancel' || this.state === 'shutdown') return;
    this.state = next;
    this.by = by;
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when the request is no longer `pause`. */
  async whilePaused(): Promise<RunRequest> {
    while (this.state === 'pause') await new Promise<void>((r) => this.waiters.push(r));
    return this.state;
  }
}
