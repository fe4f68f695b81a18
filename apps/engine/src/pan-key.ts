import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { type PanKey } from '@strongroom/compliance';
import { type Logger } from '@strongroom/logging';

/**
 * Loads the card-number tokenization key ("<keyId>:<base64 secret>") from its file. When the file
 * does not exist a development key is generated (mode 0600) with a warning: production must supply
 * its own (or, later, a KMS/HSM provider).
 */
export function loadPanKey(file: string, logger: Logger): PanKey {
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const id = `dev${randomBytes(3).toString('hex')}`;
    fs.writeFileSync(file, `${id}:${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    logger.warn('pan-key:generated', {
      file,
      keyId: id,
      note: 'development key; supply STRONGROOM_PAN_KEY_FILE in production',
    });
  }
  const text = fs.readFileSync(file, 'utf8').trim();
  const sep = text.indexOf(':');
  if (sep <= 0) throw new Error(`PAN key file ${file} must contain "<keyId>:<base64 secret>"`);
  const secret = Buffer.from(text.slice(sep + 1), 'base64');
  if (secret.length < 32) throw new Error(`PAN key in ${file} must be at least 32 bytes`);
  return { id: text.slice(0, sep), secret };
}
