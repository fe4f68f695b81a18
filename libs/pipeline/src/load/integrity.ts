import { createHash, type Hash } from 'node:crypto';
import { copyEscape } from '@strongroom/connectors';
import { formatAmount } from '@strongroom/money';
import { type CanonicalTransaction } from '../types';

/** Count and exact sum (minor units) per currency. */
export type Totals = Map<string, { count: bigint; minor: bigint }>;

export function addToTotals(totals: Totals, currency: string, minor: bigint, count = 1n): void {
  const t = totals.get(currency);
  if (t) {
    t.count += count;
    t.minor += minor;
  } else {
    totals.set(currency, { count, minor });
  }
}

export function mergeTotals(into: Totals, from: Totals): void {
  for (const [cur, t] of from) addToTotals(into, cur, t.minor, t.count);
}

/** JSON-safe form (decimal strings of BigInts), currencies sorted. */
export function totalsToJson(totals: Totals): Record<string, { count: string; minor: string; amount: string }> {
  const out: Record<string, { count: string; minor: string; amount: string }> = {};
  for (const cur of [...totals.keys()].sort()) {
    const t = totals.get(cur) as { count: bigint; minor: bigint };
    out[cur] = { count: t.count.toString(), minor: t.minor.toString(), amount: formatAmount(t.minor, cur) };
  }
  return out;
}

export function totalsFromJson(json: Record<string, { count: string; minor: string }> | null | undefined): Totals {
  const t: Totals = new Map();
  for (const [cur, v] of Object.entries(json ?? {})) t.set(cur, { count: BigInt(v.count), minor: BigInt(v.minor) });
  return t;
}

export function totalsEqual(a: Totals, b: Totals): boolean {
  if (a.size !== b.size) return false;
  for (const [cur, t] of a) {
    const u = b.get(cur);
    if (!u || u.count !== t.count || u.minor !== t.minor) return false;
  }
  return true;
}

/**
 * The canonical text of a loaded record: business key and content fields in a fixed order, COPY-text
 * escaped, tab-separated. It is the digest input; the sink is loaded with the same values as binary COPY
 * fields (sinkLines), and VerifyRun renders the stored row back to this text, so a digest recomputed from
 * the sink matches the one computed at load time.
 */
export function canonicalLine(sourceSystem: string, t: CanonicalTransaction): string {
  const e = copyEscape;
  return `${e(sourceSystem)}\t${e(t.txnId)}\t${e(t.account)}\t${e(t.counterpartyAccount)}\t${e(t.counterpartyName)}\t${e(t.amount.decimal)}\t${e(t.currency)}\t${e(t.bookedAt)}\t${e(t.valueDate)}\t${e(t.reference)}\t${e(t.cardPanToken)}\t${e(t.cardPanMasked)}`;
}

/** SHA-256 over canonical lines, each followed by "\n". */
export class DigestBuilder {
  private readonly hash: Hash = createHash('sha256');
  add(line: string): void {
    this.hash.update(`${line}\n`); // one call per line (this runs for every row loaded)
  }
  /** Lines already ended by "\n", as UTF-8 bytes (any number of them in one piece). */
  addBytes(lines: Buffer): void {
    this.hash.update(lines);
  }
  hex(): string {
    return this.hash.digest('hex');
  }
}
