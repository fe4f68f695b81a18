/** Jaro–Winkler similarity of two strings in [0, 1] (prefix scale 0.1, prefix up to 4). */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1;
  const la = a.length;
  const lb = b.length;
  if (!la || !lb) return 0;
  const window = Math.max(0, Math.floor(Math.max(la, lb) / 2) - 1);
  const matchedA = new Uint8Array(la);
  const matchedB = new Uint8Array(lb);
  let matches = 0;
  for (let i = 0; i < la; i++) {
    const lo = Math.max(0, i - window);
    const hi = Math.min(lb - 1, i + window);
    for (let j = lo; j <= hi; j++) {
      if (!matchedB[j] && a.charCodeAt(i) === b.charCodeAt(j)) {
        matchedA[i] = 1;
        matchedB[j] = 1;
        matches++;
        break;
      }
    }
  }
  if (!matches) return 0;
  let transpositions = 0;
  for (let i = 0, j = 0; i < la; i++) {
    if (!matchedA[i]) continue;
    while (!matchedB[j]) j++;
    if (a.charCodeAt(i) !== b.charCodeAt(j)) transpositions++;
    j++;
  }
  const m = matches;
  const jaro = (m / la + m / lb + (m - transpositions / 2) / m) / 3;
  let prefix = 0;
  while (prefix < 4 && prefix < la && prefix < lb && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/** 1 − Levenshtein distance / longer length, in [0, 1]. */
export function levenshteinRatio(a: string, b: string): number {
  if (a === b) return 1;
  const la = a.length;
  const lb = b.length;
  if (!la || !lb) return 0;
  let prev = new Uint32Array(lb + 1);
  let cur = new Uint32Array(lb + 1);
  for (let j = 0; j <= lb; j++) prev[j] = j;
  for (let i = 1; i <= la; i++) {
    cur[0] = i;
    for (let j = 1; j <= lb; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return 1 - (prev[lb] as number) / Math.max(la, lb);
}

/**
 * Similarity of two normalized tokens: exact for very short ones (initials, "al"); otherwise the mean
 * of Jaro–Winkler (forgiving to typos and transpositions) and the edit-distance ratio (strict about
 * short words: "mary"/"mark" share a prefix but are different names).
 */
export function tokenSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length <= 2 || b.length <= 2) return 0;
  return (jaroWinkler(a, b) + levenshteinRatio(a, b)) / 2;
}

/** Token pairs below this similarity do not count as the same word. */
export const TOKEN_MATCH_FLOOR = 0.75;

/** Tokens that say little about identity (legal forms, articles); they weigh a fifth of a word. */
const NOISE = new Set([
  'the',
  'of',
  'and',
  'for',
  'co',
  'company',
  'corp',
  'corporation',
  'inc',
  'incorporated',
  'ltd',
  'limited',
  'llc',
  'llp',
  'lp',
  'plc',
  'sa',
  'sas',
  'sarl',
  'srl',
  'spa',
  'gmbh',
  'ag',
  'kg',
  'bv',
  'nv',
  'oy',
  'ab',
  'as',
  'jsc',
  'ojsc',
  'pjsc',
  'cjsc',
  'oao',
  'zao',
  'ooo',
  'pte',
  'pty',
  'fze',
  'fzco',
  'fzc',
  'est',
  'cia',
  'sl',
  'sde',
  'rl',
  'de',
  'cv',
]);

export function tokenWeight(token: string): number {
  return (NOISE.has(token) ? 0.2 : 1) * token.length;
}

/**
 * How well two token lists name the same party, in [0, 1], whatever the token order: tokens are paired
 * greedily by similarity (each used once), and the score is the weighted share of both names covered
 * by the pairs — so a missing or extra word lowers it, a typo lowers it a little, a reordering not at
 * all. Names written with or without spaces ("ABU BAKR" / "ABUBAKR") are also compared joined.
 */
export function nameScore(
  query: readonly string[],
  candidate: readonly string[],
  similarity: (queryIndex: number, candidateToken: string) => number = (i, t) => tokenSimilarity(query[i] as string, t),
): number {
  if (!query.length || !candidate.length) return 0;
  const pairs: { i: number; j: number; s: number }[] = [];
  for (let i = 0; i < query.length; i++) {
    for (let j = 0; j < candidate.length; j++) {
      const s = similarity(i, candidate[j] as string);
      if (s >= TOKEN_MATCH_FLOOR) pairs.push({ i, j, s });
    }
  }
  pairs.sort((x, y) => y.s - x.s);
  const usedQ = new Uint8Array(query.length);
  const usedC = new Uint8Array(candidate.length);
  let covered = 0;
  for (const p of pairs) {
    if (usedQ[p.i] || usedC[p.j]) continue;
    usedQ[p.i] = 1;
    usedC[p.j] = 1;
    covered += p.s * (tokenWeight(query[p.i] as string) + tokenWeight(candidate[p.j] as string));
  }
  let total = 0;
  for (const t of query) total += tokenWeight(t);
  for (const t of candidate) total += tokenWeight(t);
  const byTokens = total > 0 ? covered / total : 0;
  if (query.length === candidate.length) return byTokens;
  // a compound written apart or together: compare the names joined, strictly (edit distance); only
  // when their lengths are close enough for the ratio to matter
  const qj = query.join('');
  const cj = candidate.join('');
  if (Math.abs(qj.length - cj.length) > 0.2 * Math.max(qj.length, cj.length)) return byTokens;
  return Math.max(byTokens, levenshteinRatio(qj, cj));
}
