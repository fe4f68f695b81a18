import { createCheckpoint, type SigningKey } from '@strongroom/audit';
import { type DataSource, sqlExec } from '@strongroom/db';
import { type Logger } from '@strongroom/logging';

/**
 * Signs an audit checkpoint every `every` new entries or every `seconds` seconds when there are new
 * entries (checked every few seconds), and on demand.
 */
export class Checkpointer {
  private timer: NodeJS.Timeout | undefined;
  private lastAt = Date.now();

  constructor(
    private readonly ds: DataSource,
    private readonly key: SigningKey,
    private readonly logger: Logger,
    private readonly every: number,
    private readonly seconds: number,
  ) {}

  start(): void {
    this.timer = setInterval(
      () => void this.tick().catch((err) => this.logger.warn('audit:checkpoint-failed', { error: String(err) })),
      Math.min(5, this.seconds) * 1000,
    );
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async checkpointNow() {
    const cp = await createCheckpoint(sqlExec(this.ds), this.key);
    this.lastAt = Date.now();
    if (cp) this.logger.info('audit:checkpointed', { seq: cp.seq, keyId: cp.keyId });
    return cp;
  }

  private async tick(): Promise<void> {
    const [r] = (await this.ds.query(
      `SELECT coalesce((SELECT max(seq) FROM immutable_audit_log), 0)::text AS head, coalesce((SELECT max(seq) FROM audit_checkpoints), 0)::text AS cp`,
    )) as [{ head: string; cp: string }];
    const pending = Number(r.head) - Number(r.cp);
    if (pending >= this.every || (pending > 0 && Date.now() - this.lastAt >= this.seconds * 1000))
      await this.checkpointNow();
  }
}
