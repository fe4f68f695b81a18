/**
 * A look repeated every `pollMs`, never two at once: a look still going when the next is due is not doubled
 * (`tick` returns the one in flight), and `stop` waits for it. Shared by the inbox watcher and the schedules.
 */
export class SerialPoll {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly look: () => Promise<void>) {}

  start(pollMs: number): void {
    this.timer = setInterval(() => void this.tick(), pollMs);
    void this.tick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  tick(): Promise<void> {
    this.running ??= this.look().finally(() => (this.running = undefined));
    return this.running;
  }
}
