import { type DataSource } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { type Logger } from '@strongroom/logging';
import { runKeyRotation, runningKeyRotation, startKeyRotation, type KeyRotation } from '@strongroom/pipeline';
import { type FileKeyRing } from './field-keys';

/**
 * Runs field-key rotations in the background: a new key becomes current at once (new values use it),
 * then every stored value is re-encrypted batch by batch. A rotation interrupted by a crash or a
 * shutdown resumes when the engine starts again.
 */
export class KeyRotator {
  private active: Promise<unknown> | undefined;
  private stopping = false;

  constructor(
    private readonly ds: DataSource,
    private readonly keys: FileKeyRing,
    private readonly logger: Logger,
    private readonly batchSize: number,
    private readonly crash?: (point: string) => void,
  ) {}

  async start(actor: string): Promise<KeyRotation> {
    if (await runningKeyRotation(this.ds))
      throw new StrongroomError(
        ErrorCode.FAILED_PRECONDITION,
        'a key rotation is already running; wait for it to finish',
      );
    const keyId = this.keys.rotate();
    const rotation = await startKeyRotation(this.ds, keyId, actor);
    this.logger.info('keys:rotation-started', { rotationId: rotation.id, toKeyId: keyId });
    this.continue(rotation.id);
    return rotation;
  }

  /** On engine start: carries on with a rotation that was interrupted. */
  async resume(): Promise<void> {
    const r = await runningKeyRotation(this.ds);
    if (!r) return;
    this.logger.warn('keys:rotation-resumed', {
      rotationId: r.id,
      toKeyId: r.toKeyId,
      valuesReencrypted: r.valuesReencrypted,
    });
    this.continue(r.id);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.active;
  }

  private continue(id: string): void {
    this.active = runKeyRotation(this.ds, this.keys, id, {
      batchSize: this.batchSize,
      stopped: () => this.stopping,
      ...(this.crash ? { crash: this.crash } : {}),
    }).then(
      (r) =>
        this.logger.info(r.status === 'DONE' ? 'keys:rotated' : 'keys:rotation-paused', {
          rotationId: id,
          status: r.status,
          valuesReencrypted: r.valuesReencrypted,
          error: r.error,
        }),
      (err) => this.logger.error('keys:rotation-interrupted', { rotationId: id, error: String(err) }), // resumes on the next start
    );
  }
}
