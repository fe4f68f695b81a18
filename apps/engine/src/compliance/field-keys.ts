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
  /** The file as it was when read (inode, size, modification time), and when that was last looked at. */
  private seen: string | undefined;
  private lookedAt: number;

  constructor(
    private readonly file: string,
    logger: Logger,
    private readonly now: () => number = Date.now,
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
    this.seen = fileStamp(file);
    this.ring = parseKeyRing(fs.readFileSync(file, 'utf8'));
    this.lookedAt = now();
  }

  current(): { id: string; key: Buffer } {
    return this.fresh().current();
  }
  get(id: string): Buffer | undefined {
    return this.fresh().get(id);
  }
  ids(): string[] {
    return this.fresh().ids();
  }
  indexKey(): Buffer {
    return this.fresh().indexKey();
  }

  /**
   * The ring as the file holds it now: another holder of the file (an engine's run thread, another replica on
   * the same key file) may have rotated it. Looked at again at most once a second; a file that cannot be read
   * or parsed leaves the ring as it was.
   */
  private fresh(): KeyProvider {
    const t = this.now();
    if (t - this.lookedAt < RELOAD_CHECK_MS) return this.ring;
    this.lookedAt = t;
    const stamp = fileStamp(this.file);
    if (stamp !== undefined && stamp !== this.seen) {
      try {
        this.ring = parseKeyRing(fs.readFileSync(this.file, 'utf8'));
        this.seen = stamp;
      } catch {
        // a ring being replaced is renamed into place whole; one that does not parse is not taken
      }
    }
    return this.ring;
  }

  /** Adds a new current key (k<n+1>) and returns its id. */
  rotate(): string {
    // the ids as the file holds them now (another holder may have rotated it since this ring was read)
    const text = fs.readFileSync(this.file, 'utf8');
    const ids = parseKeyRing(text).ids();
    let n = ids.length + 1;
    while (ids.includes(`k${n}`)) n++;
    const id = `k${n}`;
    const lines = text.split(/\r?\n/).filter((l) => l.trim());
    const index = lines.filter((l) => l.startsWith('index:'));
    const next = [...lines.filter((l) => !l.startsWith('index:')), newKeyLine(id), ...index].join('\n') + '\n';
    parseKeyRing(next); // never write a ring that does not parse
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, next, { mode: 0o600 });
    const stamp = fileStamp(tmp); // the renamed file keeps it: a rotation by another holder after the rename is seen
    fs.renameSync(tmp, this.file);
    this.ring = parseKeyRing(next);
    this.seen = stamp;
    return id;
  }
}

/** How often a key ring looks whether its file changed, ms. */
const RELOAD_CHECK_MS = 1000;

/** The file's identity and version (inode, size, modification time); undefined when it cannot be read. */
function fileStamp(file: string): string | undefined {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : undefined;
}
