import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  createHash,
  type KeyObject,
} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalJson } from './canonical';
import { type SqlExec } from './chain';

/** A signed statement "the chain's entry `seq` has hash `hash`", made at `signedAt`. */
export interface Checkpoint {
  seq: number;
  hash: string;
  signedAt: string;
  /** First 16 hex of SHA-256 over the public key (DER): which key signed. */
  keyId: string;
  /** Ed25519 signature (base64) over canonicalJson({ seq, hash, signedAt }). */
  signature: string;
}

/** What `strongroom audit export-checkpoint` writes, to be kept outside the system. */
export interface ExportedCheckpoint extends Checkpoint {
  format: 'strongroom-audit-checkpoint/v1';
  /** The signer's public key (SPKI PEM), for reference; verification uses a key the verifier trusts. */
  publicKey: string;
  /**
   * The chain as it was when exported: the first 16 hex characters of the hash of every entry from
   * `fromSeq` to `seq`, concatenated. Verifying against this file then names the first entry that changed,
   * even when every later hash was recomputed. Taken into account only when its last entry matches the
   * signed hash.
   */
  entryHashes?: { fromSeq: number; prefixes: string };
}

/** Characters of each entry hash an exported checkpoint keeps (64 bits: enough to tell a change). */
export const ENTRY_HASH_PREFIX = 16;

/** The entry-hash prefixes of seqs `fromSeq`..`toSeq`, read in pages. */
export async function entryHashPrefixes(exec: SqlExec, fromSeq: number, toSeq: number): Promise<string> {
  const parts: string[] = [];
  for (let from = fromSeq; from <= toSeq; from += 50_000) {
    const rows = await exec(
      `SELECT substr(l.hash, 1, ${ENTRY_HASH_PREFIX}) AS p FROM immutable_audit_log l
        WHERE l.seq >= $1 AND l.seq <= $2 ORDER BY l.seq`,
      [from, Math.min(toSeq, from + 49_999)],
    );
    for (const r of rows) parts.push(String(r.p));
  }
  return parts.join('');
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

/**
 * Loads the Ed25519 signing key (PKCS#8 PEM) from `file`, or generates one there (mode 0600) when it
 * does not exist and `generate` is set — a development convenience; production supplies its own key.
 * The key never goes into the database.
 */
export function loadSigningKey(file: string, generate: boolean): { key: SigningKey; generated: boolean } {
  let generated = false;
  if (!fs.existsSync(file)) {
    if (!generate) throw new Error(`audit signing key ${file} does not exist`);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const { privateKey } = generateKeyPairSync('ed25519');
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    generated = true;
  }
  const privateKey = createPrivateKey(fs.readFileSync(file));
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`audit signing key ${file} is not an Ed25519 key`);
  const publicKey = createPublicKey(privateKey);
  return { key: { privateKey, publicKey, keyId: keyIdOf(publicKey) }, generated };
}

const message = (c: Pick<Checkpoint, 'seq' | 'hash' | 'signedAt'>) =>
  Buffer.from(canonicalJson({ seq: c.seq, hash: c.hash, signedAt: c.signedAt }), 'utf8');

export function signCheckpoint(
  key: SigningKey,
  seq: number,
  hash: string,
  signedAt = new Date().toISOString(),
): Checkpoint {
  return {
    seq,
    hash,
    signedAt,
    keyId: key.keyId,
    signature: sign(null, message({ seq, hash, signedAt }), key.privateKey).toString('base64'),
  };
}

/** True when `c` was signed by `publicKey` (and names that key). */
export function checkpointSignatureValid(c: Checkpoint, publicKey: KeyObject): boolean {
  try {
    return c.keyId === keyIdOf(publicKey) && verify(null, message(c), publicKey, Buffer.from(c.signature, 'base64'));
  } catch {
    return false;
  }
}

/** Signs the chain's current head and stores the checkpoint; returns undefined for an empty chain. */
export async function createCheckpoint(exec: SqlExec, key: SigningKey): Promise<Checkpoint | undefined> {
  const [head] = await exec('SELECT l.seq::text AS seq, l.hash FROM immutable_audit_log l ORDER BY l.seq DESC LIMIT 1');
  if (!head) return undefined;
  const cp = signCheckpoint(key, Number(head.seq), String(head.hash));
  await exec(
    `INSERT INTO audit_checkpoints (seq, hash, signed_at, key_id, signature) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (seq) DO NOTHING`,
    [cp.seq, cp.hash, cp.signedAt, cp.keyId, cp.signature],
  );
  return cp;
}

export async function listCheckpoints(exec: SqlExec): Promise<Checkpoint[]> {
  const rows = await exec(
    'SELECT c.seq::text AS seq, c.hash, c.signed_at, c.key_id, c.signature FROM audit_checkpoints c ORDER BY c.seq',
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    hash: String(r.hash),
    signedAt: (r.signed_at as Date).toISOString(),
    keyId: String(r.key_id),
    signature: String(r.signature),
  }));
}

export function exportCheckpoint(
  c: Checkpoint,
  key: SigningKey,
  entryHashes?: { fromSeq: number; prefixes: string },
): ExportedCheckpoint {
  return {
    format: 'strongroom-audit-checkpoint/v1',
    ...c,
    publicKey: String(key.publicKey.export({ type: 'spki', format: 'pem' })),
    ...(entryHashes ? { entryHashes } : {}),
  };
}

export function parseExportedCheckpoint(text: string): ExportedCheckpoint {
  const v = JSON.parse(text) as Partial<ExportedCheckpoint>;
  if (
    v.format !== 'strongroom-audit-checkpoint/v1' ||
    typeof v.seq !== 'number' ||
    typeof v.hash !== 'string' ||
    typeof v.signedAt !== 'string' ||
    typeof v.keyId !== 'string' ||
    typeof v.signature !== 'string'
  ) {
    throw new Error('not a strongroom audit checkpoint file (format strongroom-audit-checkpoint/v1)');
  }
  const e = v.entryHashes;
  if (
    e !== undefined &&
    (typeof e !== 'object' ||
      !Number.isInteger(e.fromSeq) ||
      e.fromSeq < 1 ||
      typeof e.prefixes !== 'string' ||
      !/^[0-9a-f]*$/.test(e.prefixes) ||
      e.prefixes.length !== (v.seq - e.fromSeq + 1) * ENTRY_HASH_PREFIX)
  )
    throw new Error("the checkpoint file's entryHashes do not cover fromSeq..seq (16 hex characters per entry)");
  return v as ExportedCheckpoint;
}
