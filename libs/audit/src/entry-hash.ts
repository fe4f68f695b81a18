import { hash } from 'node:crypto';
import { canonicalJson } from './canonical';

/** The hashed fields of an audit entry. */
export interface HashedEntry {
  seq: number;
  occurredAt: string;
  actor: string;
  action: string;
  subject: Record<string, unknown>;
  details: Record<string, unknown>;
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

/**
 * The canonical JSON of { seq, occurredAt, actor, action, subject, details } (keys in their sorted order, written
 * directly), cut at the seq's value: the text before it and the text after it. entryHash hashes
 * `before + seq + after`; an append whose seq the database fills in writes the same two texts around it.
 */
export function bodyAroundSeq(e: Omit<HashedEntry, 'seq'>): [before: string, after: string] {
  return [
    `{"action":${canonicalJson(e.action)},"actor":${canonicalJson(e.actor)},"details":${canonicalJson(e.details)},"occurredAt":${canonicalJson(e.occurredAt)},"seq":`,
    `,"subject":${canonicalJson(e.subject)}}`,
  ];
}

/** hash = SHA-256(prev_hash bytes ‖ UTF-8 canonical JSON of {seq, occurredAt, actor, action, subject, details}). */
export function entryHash(prevHash: string, e: HashedEntry): string {
  // the same text as canonicalJson of the entry, without sorting six keys for every entry verified; an entry
  // missing a member (undefined is dropped) takes the general path
  let body: string;
  if (
    e.action === undefined ||
    e.actor === undefined ||
    e.details === undefined ||
    e.occurredAt === undefined ||
    e.seq === undefined ||
    e.subject === undefined
  )
    body = canonicalJson({ ...e });
  else {
    const [before, after] = bodyAroundSeq(e);
    body = before + canonicalJson(e.seq) + after;
  }
  // one buffer, one call: the previous hash's 32 bytes, then the body (this runs for every entry verified)
  const buf = Buffer.allocUnsafe(32 + Buffer.byteLength(body, 'utf8'));
  // (Buffer's hex decoding reads only the low byte of each character, so the text itself is checked)
  if (!HEX64.test(prevHash)) throw new TypeError(`prev hash "${prevHash}" is not 32 bytes of hex`);
  buf.write(prevHash, 0, 32, 'hex');
  buf.write(body, 32, 'utf8');
  return hash('sha256', buf, 'hex');
}

/**
 * One page of the chain as verification fetches it: a JSON array of entries, each an array of seq,
 * occurred_at (ISO 8601, as `toISOString` writes it), actor, action, subject, details, prev_hash, hash.
 * One string per page: the database renders it and it crosses to a worker thread as one copy.
 */
export type PageEntry = [
  number,
  string,
  string,
  string,
  Record<string, unknown>,
  Record<string, unknown>,
  string,
  string,
];

/** What hashing a page found, entry by entry (in seq order). */
export interface PageResult {
  seqs: Float64Array;
  /** 1 when the entry's stored hash is right for its content. */
  fits: Uint8Array;
  /** For an entry that does not fit: -1/+1 when it fits as seq - 1 / seq + 1 (renumbered), else 0. */
  shifts: Int8Array;
  /** 1 when the entry's prev_hash is the stored hash of the entry before it in the page (the first: 0). */
  links: Uint8Array;
  /** The first entry's prev_hash. */
  firstPrev: string;
  /** The stored hashes, 64 hex characters each, one after the other. */
  hashes: string;
}

/** Whether the entry's stored hash is right for its content as if its seq were its own plus `shift`. */
function fitsAs(e: PageEntry, shift: number): boolean {
  try {
    return (
      entryHash(e[6], {
        seq: e[0] + shift,
        occurredAt: e[1],
        actor: e[2],
        action: e[3],
        subject: e[4],
        details: e[5],
      }) === e[7]
    );
  } catch {
    return false; // a prev_hash that is not 32 bytes of hex, or content that has no canonical form: it does not fit
  }
}

/** Hashes every entry of a page (this runs in the verification workers, or inline for a short chain). */
export function hashPage(page: string): PageResult {
  const entries = JSON.parse(page) as PageEntry[];
  const n = entries.length;
  const r: PageResult = {
    seqs: new Float64Array(n),
    fits: new Uint8Array(n),
    shifts: new Int8Array(n),
    links: new Uint8Array(n),
    firstPrev: n ? String(entries[0]?.[6]) : '',
    hashes: '',
  };
  const hashes: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = entries[i] as PageEntry;
    r.seqs[i] = e[0];
    const fits = fitsAs(e, 0);
    r.fits[i] = fits ? 1 : 0;
    if (!fits) r.shifts[i] = fitsAs(e, -1) ? -1 : fitsAs(e, 1) ? 1 : 0;
    r.links[i] = i > 0 && e[6] === (entries[i - 1] as PageEntry)[7] ? 1 : 0;
    const h = String(e[7]);
    hashes.push(h.length === 64 ? h : h.padEnd(64).slice(0, 64));
  }
  r.hashes = hashes.join('');
  return r;
}
