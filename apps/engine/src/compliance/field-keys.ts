import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { newKeyLine, parseKeyRing, type KeyProvider } from '@strongroom/compliance';
import { type Logger } from '@strongroom/logging';

/**
 * The file-based key ring for field encryption (development and single-host deployments; a KMS or HSM
 * provider implements KeyProvider instead): one `<keyId>:<base64 key>` per line, the last is current,
 * plus `index:<base64>` for the blind index. Generated on first start with a warning. `rotate()` appends
 * a new current key (written to a temp file and renamed, mode 0600) and reloads; old keys stay, so
 * values under them remain readable while the rotation re-encrypts them.
 */
export class FileKeyRing implements KeyProvider {
  private ring: KeyProvider;

  constructor(
    private readonly file: string,
    logger: Logger,
  ) {
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(
        file,
        `# Strongroom field-encryption key ring (development): last key is current\n${newKeyLine('k1')}\nindex:${randomBytes(32).toString('base64')}\n`,
        { mode: 0o600, flag: 'wx' },
      );
      logger.warn('field-keys:generated', {
        file,
        keyId: 'k1',
        note: 'development key ring; supply STRONGROOM_FIELD_KEYS_FILE (or a KMS provider) in production',
      });
    }
    this.ring = parseKeyRing(fs.readFileSync(file, 'utf8'));
  }

  current(): { id: string; key: Buffer } {
    return this.ring.current();
  }
  get(id: string): Buffer | undefined {
    return this.ring.get(id);
  }
  ids(): string[] {
    return this.ring.ids();
  }
  indexKey(): Buffer {
    return this.ring.indexKey();
  }

  /** Adds a new current key (k<n+1>) and returns its id. */
  rotate(): string {
    const ids = this.ring.ids();
    let n = ids.length + 1;
    while (ids.includes(`k${n}`)) n++;
    const id = `k${n}`;
    const lines = fs
      .readFileSync(this.file, 'utf8')
      .split(/\r?\n/)
      .filter((l) => l.trim());
    const index = lines.filter((l) => l.startsWith('index:'));
    const next = [...lines.filter((l) => !l.startsWith('index:')), newKeyLine(id), ...index].join('\n') + '\n';
    parseKeyRing(next); // never write a ring that does not parse
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, next, { mode: 0o600 });
    fs.renameSync(tmp, this.file);
    this.ring = parseKeyRing(next);
    return id;
  }
}
