import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Field encryption for RESTRICTED data (PCI DSS 3.5, docs/design.md I6): AES-256-GCM with a fresh 96-bit IV
 * per value, the column name as additional authenticated data (a value moved to another column does not
 * decrypt), and the key id stored with every value, so keys rotate without downtime:
 *
 *     enc:v1:<keyId>:<base64url(iv ‖ ciphertext ‖ tag)>
 *
 * Equality lookups on an encrypted column (the AML rules group by account) use a blind index instead:
 * HMAC-SHA-256 of the clear value under a separate index key.
 */

/** Where keys come from. The file-based provider is for development; a KMS or HSM implements the same. */
export interface KeyProvider {
  /** The key new values are encrypted with. */
  current(): { id: string; key: Buffer };
  /** A key by id (old ones stay readable until rotation re-encrypted their values). */
  get(id: string): Buffer | undefined;
  /** Every key id, oldest first. */
  ids(): string[];
  /** The blind-index key (HMAC). */
  indexKey(): Buffer;
}

export const ENCRYPTED_PREFIX = 'enc:v1:';
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

export function isEncrypted(value: string | null | undefined): boolean {
  return typeof value === 'string' && value.startsWith(ENCRYPTED_PREFIX);
}

/** The key id a stored value was encrypted with (undefined for a clear value). */
export function keyIdOf(value: string): string | undefined {
  if (!isEncrypted(value)) return undefined;
  return value.slice(ENCRYPTED_PREFIX.length).split(':', 1)[0];
}

export function encryptField(keys: KeyProvider, column: string, clear: string): string {
  const { id, key } = keys.current();
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(column, 'utf8'));
  const body = Buffer.concat([cipher.update(clear, 'utf8'), cipher.final()]);
  return `${ENCRYPTED_PREFIX}${id}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
}

/** Decrypts a stored value (a clear value is returned as is). Throws when the key is unknown or the value was tampered with. */
export function decryptField(keys: KeyProvider, column: string, stored: string): string {
  if (!isEncrypted(stored)) return stored;
  const [id, payload] = stored.slice(ENCRYPTED_PREFIX.length).split(':', 2) as [string, string | undefined];
  const key = keys.get(id);
  if (!key) throw new Error(`no key ${id} for an encrypted ${column} value`);
  const raw = Buffer.from(payload ?? '', 'base64url');
  if (raw.length < 28) throw new Error(`encrypted ${column} value is truncated`);
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAAD(Buffer.from(column, 'utf8'));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
}

/** Re-encrypts a stored value under the current key (no-op when it already is). */
export function reencryptField(keys: KeyProvider, column: string, stored: string): string {
  if (keyIdOf(stored) === keys.current().id) return stored;
  return encryptField(keys, column, decryptField(keys, column, stored));
}

/** Blind index of a clear value: equal values, equal index; the value itself is not recoverable. */
export function blindIndex(keys: KeyProvider, column: string, clear: string): string {
  return createHmac('sha256', keys.indexKey()).update(`${column}\u0000${clear}`).digest('base64url');
}

/** A key provider over a key ring text: one `<keyId>:<base64 32-byte key>` per line, the last is current; `index:<base64>` is the blind-index key. */
export function parseKeyRing(text: string): KeyProvider {
  const keys = new Map<string, Buffer>();
  let index: Buffer | undefined;
  const order: string[] = [];
  for (const [n, line] of text.split(/\r?\n/).entries()) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [id, b64] = t.split(':', 2) as [string, string | undefined];
    const key = Buffer.from(b64 ?? '', 'base64');
    if (!KEY_ID.test(id) || key.length !== 32)
      throw new Error(`key ring line ${n + 1}: expected <keyId>:<base64 of 32 bytes>`);
    if (id === 'index') {
      index = key;
      continue;
    }
    if (keys.has(id)) throw new Error(`key ring line ${n + 1}: key id ${id} appears twice`);
    keys.set(id, key);
    order.push(id);
  }
  if (!order.length) throw new Error('key ring has no encryption key');
  if (!index) throw new Error('key ring has no index key (a line "index:<base64 of 32 bytes>")');
  const indexKey = index;
  return {
    current: () => ({
      id: order[order.length - 1] as string,
      key: keys.get(order[order.length - 1] as string) as Buffer,
    }),
    get: (id) => keys.get(id),
    ids: () => [...order],
    indexKey: () => indexKey,
  };
}

/** A new key line for a key ring (`<keyId>:<base64>`), with a fresh random key. */
export function newKeyLine(id: string): string {
  if (!KEY_ID.test(id) || id === 'index')
    throw new Error('key id must be 1–32 characters [A-Za-z0-9_-] and not "index"');
  return `${id}:${randomBytes(32).toString('base64')}`;
}
