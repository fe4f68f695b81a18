/**
 * Name normalization for sanctions screening. Both the list and the screened name go through the same
 * steps, so what is equal after them is equal for the screener:
 *
 * 1. look-alike characters in a token that mixes scripts (a Cyrillic "а" or "о" inside a Latin word, a
 *    zero for an "o", "$" for "s") become the Latin letter they imitate;
 * 2. a token written wholly in Cyrillic or Greek is transliterated (Владимир → vladimir); a wholly
 *    Cyrillic/Greek token is also tried as look-alikes (АСМЕ → acme) — see `nameVariants`;
 * 3. compatibility decomposition (NFKD) and removal of diacritics (Müller → muller, Ş → s), plus the
 *    letters NFKD leaves alone (ß → ss, ø → o, ł → l, æ → ae, …);
 * 4. lower case (after step 1, where case matters); apostrophes dropped (O'Brien → obrien); any other
 *    punctuation separates tokens.
 *
 * Token order is not normalized here: the scorer matches tokens in any order.
 */

/** Characters that imitate a Latin letter (confusables). Case matters: Greek "Ν" looks like N, "ν" like v. */
const LOOKALIKE: Record<string, string> = {
  // Cyrillic capitals and small letters
  А: 'A',
  В: 'B',
  Е: 'E',
  Ё: 'E',
  К: 'K',
  М: 'M',
  Н: 'H',
  О: 'O',
  Р: 'P',
  С: 'C',
  Т: 'T',
  У: 'Y',
  Х: 'X',
  І: 'I',
  Ї: 'I',
  Ј: 'J',
  Ѕ: 'S',
  Ԁ: 'D',
  Ԛ: 'Q',
  Ԝ: 'W',
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  і: 'i',
  ї: 'i',
  ј: 'j',
  ѕ: 's',
  һ: 'h',
  ӏ: 'l',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ь: 'b',
  п: 'n',
  г: 'r',
  и: 'u',
  // Greek capitals and small letters
  Α: 'A',
  Β: 'B',
  Ε: 'E',
  Ζ: 'Z',
  Η: 'H',
  Ι: 'I',
  Κ: 'K',
  Μ: 'M',
  Ν: 'N',
  Ο: 'O',
  Ρ: 'P',
  Τ: 'T',
  Υ: 'Y',
  Χ: 'X',
  α: 'a',
  β: 'b',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  μ: 'm',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ζ: 'z',
  ω: 'w',
  γ: 'y',
  // digits and symbols used as letters
  '0': 'o',
  '1': 'l',
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '@': 'a',
  $: 's',
  '!': 'i',
  '|': 'l',
  '€': 'e',
  // Latin letters NFKD does not decompose
  ı: 'i',
  ł: 'l',
  Ł: 'L',
  ø: 'o',
  Ø: 'O',
  đ: 'd',
  Đ: 'D',
  ð: 'd',
  Ð: 'D',
  ħ: 'h',
  Ħ: 'H',
  ŧ: 't',
  ß: 'ss',
  ẞ: 'SS',
  æ: 'ae',
  Æ: 'AE',
  œ: 'oe',
  Œ: 'OE',
  þ: 'th',
  Þ: 'TH',
  ĸ: 'k',
  ŀ: 'l',
  ſ: 's',
  ɡ: 'g',
};

/** Cyrillic → Latin (a common romanization close to BGN/PCGN and passport practice). */
const CYRILLIC: Record<string, string> = {
  а: 'a',
  б: 'b',
  в: 'v',
  г: 'g',
  ґ: 'g',
  д: 'd',
  е: 'e',
  ё: 'e',
  є: 'ye',
  ж: 'zh',
  з: 'z',
  и: 'i',
  і: 'i',
  ї: 'yi',
  й: 'y',
  к: 'k',
  л: 'l',
  м: 'm',
  н: 'n',
  о: 'o',
  п: 'p',
  р: 'r',
  с: 's',
  т: 't',
  у: 'u',
  ф: 'f',
  х: 'kh',
  ц: 'ts',
  ч: 'ch',
  ш: 'sh',
  щ: 'shch',
  ъ: '',
  ы: 'y',
  ь: '',
  э: 'e',
  ю: 'yu',
  я: 'ya',
  ў: 'u',
  ђ: 'dj',
  ј: 'j',
  љ: 'lj',
  њ: 'nj',
  ћ: 'c',
  џ: 'dz',
};

/** Greek → Latin (ELOT 743, simplified). */
const GREEK: Record<string, string> = {
  α: 'a',
  β: 'v',
  γ: 'g',
  δ: 'd',
  ε: 'e',
  ζ: 'z',
  η: 'i',
  θ: 'th',
  ι: 'i',
  κ: 'k',
  λ: 'l',
  μ: 'm',
  ν: 'n',
  ξ: 'x',
  ο: 'o',
  π: 'p',
  ρ: 'r',
  σ: 's',
  ς: 's',
  τ: 't',
  υ: 'y',
  φ: 'f',
  χ: 'ch',
  ψ: 'ps',
  ω: 'o',
};

const CYRILLIC_RE = /\p{Script=Cyrillic}/u;
const GREEK_RE = /\p{Script=Greek}/u;

type Mode = 'lookalike' | 'lookalike-digits' | 'transliterate';

function mapToken(raw: string, mode: Mode): string {
  // Greek accents (tonos, dialytika) carry no identity; Cyrillic й and ё keep theirs (they transliterate differently)
  const token = [...raw].map((ch) => (GREEK_RE.test(ch) ? (ch.normalize('NFD')[0] as string) : ch)).join('');
  const letters = [...token].filter((ch) => /\p{L}/u.test(ch));
  const foreign = letters.filter((ch) => CYRILLIC_RE.test(ch) || GREEK_RE.test(ch)).length;
  if (foreign > 0 && foreign === letters.length && mode === 'transliterate') {
    return [...token.toLowerCase().replace(/ου/g, 'οu')].map((ch) => CYRILLIC[ch] ?? GREEK[ch] ?? ch).join('');
  }
  return [...token]
    .map((ch) => {
      // digits and symbols read as letters only inside a word ("M0HAMMED"); a vessel's "7" stays a 7
      // (the lookalike-digits reading also maps a lone "0" of "0.I.I.C.")
      if (!/\p{L}/u.test(ch)) return letters.length > 0 || mode === 'lookalike-digits' ? (LOOKALIKE[ch] ?? ch) : ch;
      return LOOKALIKE[ch] ?? ch;
    })
    .join('')
    .toLowerCase();
}

function normalizeWith(name: string, mode: Mode): string[] {
  return name
    .replace(/['’‘`´ʼ]/g, '')
    .split(/[\s,;:/\\()[\]{}"“”«»<>.\-_–—+*&#%^~=?]+/u)
    .filter(Boolean)
    .map((t) => mapToken(t, mode))
    .join(' ')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** The normalized tokens of a name (look-alike reading). */
export function normalizeName(name: string): string[] {
  return normalizeWith(name, 'lookalike');
}

/**
 * Every reading of a name worth screening: the look-alike reading; when a token is written wholly in
 * Cyrillic or Greek, the transliterated one; when a word is only digits that could be letters ("0" for
 * O), the reading with them as letters. Distinct token lists only.
 */
export function nameVariants(name: string): string[][] {
  const variants = [normalizeWith(name, 'lookalike')];
  if (CYRILLIC_RE.test(name) || GREEK_RE.test(name)) variants.push(normalizeWith(name, 'transliterate'));
  if (/(^|[^0-9\p{L}])[0134578]+([^0-9\p{L}]|$)/u.test(name)) variants.push(normalizeWith(name, 'lookalike-digits'));
  const seen = new Set<string>();
  return variants.filter((v) => !seen.has(v.join(' ')) && seen.add(v.join(' ')));
}
