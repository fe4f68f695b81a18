import fs from 'node:fs';
import { type ListedName, type ListFileSummary, readOfacFile } from './sdn-list';
import { nameVariants, normalizeName } from './normalize';
import { nameScore, tokenSimilarity, tokenWeight, TOKEN_MATCH_FLOOR } from './similarity';

/** Default score at or above which a name is a hit (tuned on the OFAC list; see docs/compliance.md). */
export const DEFAULT_SCREENING_THRESHOLD = 0.9;

export interface ScreeningResult {
  hit: boolean;
  /** Best score over the list, in [0, 1], 3 decimals. */
  score: number;
  /** The listed name that scored best (as the list writes it); empty when nothing came close. */
  matchedName: string;
  /** The list's id of that party (OFAC ent_num); empty when nothing came close. */
  entryId: string;
  /** Its primary name, when the match was an alias. */
  primaryName: string;
  kind: ListedName['kind'] | '';
  programs: string[];
  threshold: number;
}

/** Screens names against sanctions lists. An interface, so a remote screening service can replace the local index. */
export interface Screener {
  screen(name: string, threshold?: number): ScreeningResult;
  /**
   * The answer `screen` gives when the name is a hit (the same listed name, score and details), or null
   * when it is not; may skip the work of finding how far below the threshold a non-hit scores.
   */
  findHit(name: string, threshold?: number): ScreeningResult | null;
  /** The files the list was built from (file, SHA-256, counts), for audit and reports. */
  readonly sources: readonly ListFileSummary[];
  readonly size: number;
}

interface IndexedName extends ListedName {
  tokens: string[];
  primaryName: string;
  /** Token weights, largest first, and their sum (for the score's upper bound). */
  weights: number[];
  total: number;
  /** The tokens written together. */
  joined: string;
}

/**
 * Answers remembered, oldest forgotten first: a load's counterparties repeat, and a load with more distinct
 * names than this screens each again when it comes back. Most answers are "no hit": about 90 bytes each
 * with their key, so some 18 MiB when full.
 */
const ANSWERS_KEPT = 200_000;
/** Query tokens whose similar listed tokens are remembered (first names and common words repeat). */
const TOKENS_KEPT = 100_000;

/** Absorbs rounding: a bound computed in another order than the score may come out a hair below it. */
const BOUND_SLACK = 1e-9;

/** Letters counted in 27 bins: a–z, and every other character together (a coarser count still bounds). */
const LETTER_BINS = 27;

/** `s`'s letters counted into `out` at `at` (LETTER_BINS numbers). */
function countLetters(s: string, out: Int32Array, at = 0): Int32Array {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) - 97;
    out[at + (c >= 0 && c < 26 ? c : 26)]++;
  }
  return out;
}

/**
 * An upper bound of `levenshteinRatio` of two strings from their letter counts (`a` at `aAt`, `b` at `bAt`) and
 * lengths: the edit distance is at least the larger of the letters one has in excess of the other and those
 * it lacks.
 */
function letterRatioBound(
  a: Int32Array,
  aAt: number,
  aLength: number,
  b: Int32Array,
  bAt: number,
  bLength: number,
): number {
  if (!aLength || !bLength) return aLength === bLength ? 1 : 0;
  let more = 0;
  let fewer = 0;
  for (let k = 0; k < LETTER_BINS; k++) {
    const d = (a[aAt + k] as number) - (b[bAt + k] as number);
    if (d > 0) more += d;
    else fewer -= d;
  }
  return 1 - Math.max(more, fewer) / Math.max(aLength, bLength);
}

/** An upper bound of `levenshteinRatio(a, b)` (see letterRatioBound). */
export function joinedRatioBound(a: string, b: string): number {
  const counts = (s: string) => countLetters(s, new Int32Array(LETTER_BINS));
  return letterRatioBound(counts(a), 0, a.length, counts(b), 0, b.length);
}

const gramsOf = (token: string): string[] => {
  const padded = `$${token}$`;
  const out: string[] = [];
  for (let i = 0; i + 3 <= padded.length; i++) out.push(padded.slice(i, i + 3));
  return out;
};

/**
 * An in-memory index over listed names. Candidates come from tokens: a query token pulls the listed
 * names that hold the same or a similar token (trigram prefilter, then token similarity ≥ 0.75), and
 * a name written as one word finds the same name written as several ("abubakr" / "ABU BAKR") and back. Every candidate is then scored with
 * `nameScore` for each reading of the query (`nameVariants`); the best wins.
 */
export class SanctionsIndex implements Screener {
  private readonly names: IndexedName[] = [];
  private readonly postings = new Map<string, number[]>();
  /** A multi-word name's tokens written together ("abubakr") → names; exact lookups only. */
  private readonly joined = new Map<string, number[]>();
  /** Trigram → the listed tokens holding it (as numbers: `tokenList`'s positions), once per occurrence. */
  private readonly grams = new Map<string, number[]>();
  /** Every distinct listed token. */
  private readonly tokenList: string[] = [];
  private readonly cache = new Map<string, ScreeningResult | null>();
  /** Query token → similar listed tokens with their similarity (first names and common words repeat). */
  private readonly similar = new Map<string, Map<string, number>>();
  /** Query token → the listed names it reaches, with its best share of each (`tokenReach`). */
  private readonly reachOf = new Map<string, { ids: Int32Array; shares: Float64Array }>();
  /**
   * Zero between calls. Per listed name: `candidates`' bounds, one query token's best shares, whether seen;
   * per listed token: the trigrams it shares with a query token.
   */
  private readonly scratch: { reach: Float64Array; share: Float64Array; seen: Uint8Array; gramCounts: Int32Array };
  /** Per listed name: its number of tokens, their length written together, their weight, their letters (LETTER_BINS each). */
  private readonly shape: {
    tokenCount: Int32Array;
    joinedLength: Int32Array;
    total: Float64Array;
    letters: Int32Array;
  };

  constructor(
    listed: readonly ListedName[],
    readonly sources: readonly ListFileSummary[] = [],
    private readonly defaultThreshold = DEFAULT_SCREENING_THRESHOLD,
  ) {
    const primary = new Map<string, ListedName>();
    for (const n of listed) if (n.kind === 'primary') primary.set(n.entryId, n);
    const seen = new Set<string>();
    for (const n of listed) {
      const tokens = normalizeName(n.name);
      if (!tokens.length) continue;
      const key = `${n.entryId}\u0000${tokens.join(' ')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const p = primary.get(n.entryId);
      const weights = tokens.map(tokenWeight).sort((a, b) => b - a);
      const idx =
        this.names.push({
          ...n,
          partyType: n.partyType || p?.partyType || '',
          programs: n.programs.length ? n.programs : (p?.programs ?? []),
          tokens,
          primaryName: p?.name ?? n.name,
          weights,
          total: weights.reduce((a, b) => a + b, 0),
          joined: tokens.join(''),
        }) - 1;
      if (tokens.length > 1) {
        const joined = tokens.join('');
        const list = this.joined.get(joined);
        if (list) list.push(idx);
        else this.joined.set(joined, [idx]);
      }
      for (const t of new Set(tokens)) {
        let list = this.postings.get(t);
        if (!list) {
          list = [];
          this.postings.set(t, list);
          const id = this.tokenList.push(t) - 1;
          for (const g of gramsOf(t)) {
            const bucket = this.grams.get(g);
            if (bucket) bucket.push(id);
            else this.grams.set(g, [id]);
          }
        }
        list.push(idx);
      }
    }
    const count = this.names.length;
    this.scratch = {
      reach: new Float64Array(count),
      share: new Float64Array(count),
      seen: new Uint8Array(count),
      gramCounts: new Int32Array(this.tokenList.length),
    };
    this.shape = {
      tokenCount: Int32Array.from(this.names, (n) => n.tokens.length),
      joinedLength: Int32Array.from(this.names, (n) => n.joined.length),
      total: Float64Array.from(this.names, (n) => n.total),
      letters: new Int32Array(count * LETTER_BINS),
    };
    this.names.forEach((n, idx) => countLetters(n.joined, this.shape.letters, idx * LETTER_BINS));
  }

  /** Builds the index from OFAC SDN-format files (sdn.csv, alt.csv); see readOfacFile. */
  static fromFiles(files: readonly string[], threshold = DEFAULT_SCREENING_THRESHOLD): SanctionsIndex {
    const all: ListedName[] = [];
    const sources: ListFileSummary[] = [];
    for (const file of files) {
      const { names, summary } = readOfacFile(file, fs.readFileSync(file));
      all.push(...names);
      sources.push(summary);
    }
    return new SanctionsIndex(all, sources, threshold);
  }

  /** Every indexed name (for measurements and reports). */
  listedNames(): readonly ListedName[] {
    return this.names;
  }

  /** Whether the party `entryId` is listed under a name equal to `name` once normalized (any word order). */
  sameName(entryId: string, name: string): boolean {
    const tokens = normalizeName(name);
    const key = [...tokens].sort().join(' ');
    return this.names.some(
      (n) => n.entryId === entryId && ([...n.tokens].sort().join(' ') === key || n.tokens.join('') === tokens.join('')),
    );
  }

  get size(): number {
    return this.names.length;
  }

  screen(name: string, threshold = this.defaultThreshold): ScreeningResult {
    return this.search(name, threshold, false) as ScreeningResult;
  }

  findHit(name: string, threshold = this.defaultThreshold): ScreeningResult | null {
    const r = this.search(name, threshold, true);
    return r?.hit ? r : null;
  }

  /**
   * The best listed name for `name`. With `hitsOnly`, a candidate whose score provably stays below the
   * threshold is not scored (see `candidates`), and null stands for "no hit". Candidates are scored in the same
   * order either way, and every skipped one scores below the threshold, so a hit is the same listed name
   * with the same score in both modes.
   */
  private search(name: string, threshold: number, hitsOnly: boolean): ScreeningResult | null {
    const cacheKey = `${hitsOnly ? 'h' : 's'}${threshold}\u0000${name}`;
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined) return cached;
    let best: { score: number; n?: IndexedName } = { score: 0 };
    for (const tokens of nameVariants(name)) {
      if (!tokens.length) continue;
      const maps = tokens.map((t) => this.similarTokens(t));
      const sim = (i: number, t: string) => maps[i]?.get(t) ?? 0;
      const { order, reach } = this.candidates(tokens, maps);
      // score each candidate from the most promising down, and stop once no candidate can beat the best
      const qTotal = tokens.reduce((a, t) => a + tokenWeight(t), 0);
      const qJoined = tokens.join('');
      // `bound` orders the scoring (as it always has: equal scores go to the first scored); `tight` skips
      const ranked: { n: IndexedName; bound: number; tight: number }[] = [];
      const { tokenCount, joinedLength, total, letters } = this.shape;
      const qLetters = countLetters(qJoined, new Int32Array(LETTER_BINS));
      for (const idx of order) {
        // the names' shapes sit in arrays: most candidates are ruled out without reading the name itself
        const jl = joinedLength[idx] as number;
        const joinedMayCount =
          tokenCount[idx] !== tokens.length && Math.abs(jl - qJoined.length) <= 0.2 * Math.max(jl, qJoined.length);
        // an upper bound of the candidate's score: by the tokens' best pairs, and written together by the lengths
        // (free), then by the letters (never above the lengths' bound)
        let tight = (reach[idx] as number) / (qTotal + (total[idx] as number));
        if (joinedMayCount) {
          const byLength = 1 - Math.abs(jl - qJoined.length) / Math.max(jl, qJoined.length);
          if (byLength > tight && (!hitsOnly || byLength >= threshold - BOUND_SLACK))
            tight = Math.max(tight, letterRatioBound(qLetters, 0, qJoined.length, letters, idx * LETTER_BINS, jl));
        }
        if (hitsOnly && tight < threshold - BOUND_SLACK) continue; // cannot reach the threshold
        const n = this.names[idx] as IndexedName;
        let top = 0;
        for (let k = 0; k < tokens.length && k < n.weights.length; k++) top += n.weights[k] as number;
        ranked.push({ n, bound: joinedMayCount ? 1 : Math.min(1, (qTotal + top) / (qTotal + n.total)), tight });
      }
      for (const idx of order) reach[idx] = 0;
      ranked.sort((a, b) => b.bound - a.bound);
      for (const { n, bound, tight } of ranked) {
        if (bound < best.score || (bound === best.score && best.score === 1)) break;
        if (tight + BOUND_SLACK < best.score) continue; // can neither beat nor tie the best so far
        const s = nameScore(tokens, n.tokens, sim);
        if (s > best.score || (s === best.score && best.n && n.kind === 'primary' && best.n.kind !== 'primary'))
          best = { score: s, n };
      }
    }
    const n = best.n;
    const result: ScreeningResult | null =
      hitsOnly && best.score < threshold
        ? null
        : {
            hit: best.score >= threshold,
            score: Math.round(best.score * 1000) / 1000,
            matchedName: n?.name ?? '',
            entryId: n?.entryId ?? '',
            primaryName: n?.primaryName ?? '',
            kind: n?.kind ?? '',
            programs: n?.programs ?? [],
            threshold,
          };
    if (this.cache.size >= ANSWERS_KEPT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(cacheKey, result);
    return result;
  }

  /**
   * The listed names `tokens` may match, in the order they are first found (which decides between equal
   * scores): those holding a token similar to a query token, and those written together or apart like a
   * query token or the whole query. With them, in `reach` (indexed by name; the caller zeroes what it
   * read), an upper bound of the weight `nameScore` can find covered: each query token pairs with at most
   * one of the name's tokens, so its share is at most its best pair's similarity × both tokens' weights.
   */
  private candidates(
    tokens: readonly string[],
    maps: readonly Map<string, number>[],
  ): { order: number[]; reach: Float64Array } {
    const { reach, seen } = this.scratch;
    const order: number[] = [];
    const add = (idx: number) => {
      if (!seen[idx]) {
        seen[idx] = 1;
        order.push(idx);
      }
    };
    tokens.forEach((q, i) => {
      const { ids, shares } = this.tokenReach(q, maps[i] as Map<string, number>);
      for (let k = 0; k < ids.length; k++) {
        const idx = ids[k] as number;
        add(idx);
        reach[idx] = (reach[idx] as number) + (shares[k] as number);
      }
      for (const idx of this.joined.get(q) ?? []) add(idx); // "abubakr" asked, "ABU BAKR" listed
    });
    if (tokens.length > 1) for (const idx of this.joined.get(tokens.join('')) ?? []) add(idx);
    for (const idx of order) seen[idx] = 0;
    return { order, reach };
  }

  /**
   * The listed names holding a token similar to query token `q` (`similar`: those tokens), in the order
   * first found, each with its best share: the pair's similarity × both tokens' weights. Remembered like
   * `similar`: a first name comes back in many queries, and it is the one with many names.
   */
  private tokenReach(q: string, similar: Map<string, number>): { ids: Int32Array; shares: Float64Array } {
    const known = this.reachOf.get(q);
    if (known) return known;
    const { share: mine } = this.scratch;
    const wq = tokenWeight(q);
    const touched: number[] = [];
    for (const [t, s] of similar) {
      const share = s * (wq + tokenWeight(t));
      for (const idx of this.postings.get(t) ?? []) {
        if ((mine[idx] as number) === 0) touched.push(idx);
        if ((mine[idx] as number) < share) mine[idx] = share;
      }
    }
    const out = { ids: Int32Array.from(touched), shares: new Float64Array(touched.length) };
    touched.forEach((idx, k) => {
      out.shares[k] = mine[idx] as number;
      mine[idx] = 0;
    });
    if (this.reachOf.size >= TOKENS_KEPT) this.reachOf.delete(this.reachOf.keys().next().value as string);
    this.reachOf.set(q, out);
    return out;
  }

  private similarTokens(q: string): Map<string, number> {
    const known = this.similar.get(q);
    if (known) return known;
    const out = new Map<string, number>();
    if (q.length <= 2) {
      if (this.postings.has(q)) out.set(q, 1);
    } else {
      // how many trigrams each listed token shares with q, counted in a zeroed array (left zeroed)
      const { gramCounts: shared } = this.scratch;
      const touched: number[] = [];
      const qGrams = gramsOf(q);
      for (const g of qGrams)
        for (const id of this.grams.get(g) ?? []) if ((shared[id] as number)++ === 0) touched.push(id);
      for (const id of touched) {
        const count = shared[id] as number;
        shared[id] = 0;
        const t = this.tokenList[id] as string;
        const dice = (2 * count) / (qGrams.length + t.length); // t has t.length trigrams when padded
        if (dice < 0.3 || t.length * 2 < q.length || q.length * 2 < t.length) continue; // cannot reach the floor
        const s = tokenSimilarity(q, t);
        if (s >= TOKEN_MATCH_FLOOR) out.set(t, s);
      }
    }
    if (this.similar.size >= TOKENS_KEPT) this.similar.delete(this.similar.keys().next().value as string);
    this.similar.set(q, out);
    return out;
  }
}
