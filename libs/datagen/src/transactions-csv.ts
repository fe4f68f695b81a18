import fs from 'node:fs';
import { once } from 'node:events';
import { createRandom, type Random } from './random';
import { ibanFor, luhnComplete } from './identifiers';

export const TRANSACTIONS_CSV_HEADER =
  'id,account_iban,counterparty_iban,counterparty_name,amount,currency,booked_at,value_date,reference,card_number';

export type BadRowKind =
  | 'INVALID_CURRENCY'
  | 'AMOUNT_SCALE'
  | 'INVALID_AMOUNT'
  | 'INVALID_TIMESTAMP'
  | 'MISSING_FIELD'
  | 'FIELD_COUNT_MISMATCH'
  | 'DUPLICATE_KEY';
const BAD_KINDS: readonly BadRowKind[] = [
  'INVALID_CURRENCY',
  'AMOUNT_SCALE',
  'INVALID_AMOUNT',
  'INVALID_TIMESTAMP',
  'MISSING_FIELD',
  'FIELD_COUNT_MISMATCH',
  'DUPLICATE_KEY',
];

export interface GenerateOptions {
  rows: number;
  /** Share of rows that are invalid, each of a known kind. Default 0.01. */
  badRatio?: number;
  /** Share of rows with a card number (Luhn-valid test PANs). Default 0.2. */
  cardRatio?: number;
  seed?: number;
  /** Prefix of transaction ids (keep distinct files' keys apart). Default "TX". */
  idPrefix?: string;
  /**
   * Alert-heavy amounts: median 30,000 with little spread (σ = 0.5), so nearly every row is a large
   * transaction for the AML rules (to measure what alerts cost). Default: realistic amounts.
   */
  largeAmounts?: boolean;
  /**
   * Accounts per country (5 countries): the account of each row is drawn from this many per country. Default
   * 5,001 (25,005 accounts). A small pool with a short `spanHours` puts many transactions on each account within
   * the AML windows, as a merchant's or a treasury account's file does.
   */
  accountsPerCountry?: number;
  /** Booking times are drawn over this many hours from 2026-10-01. Default 1,440 (60 days). */
  spanHours?: number;
  /**
   * Share of rows that are debits (negative amounts). Default 0.3. Near 1, with a small `accountsPerCountry`, the
   * accounts pay out far more often than they are paid, as a payables or treasury account does.
   */
  debitShare?: number;
  /**
   * Counterparty names drawn from this many distinct made-up names (persons and companies, from syllables), as a
   * real file's payees are: each new name costs sanctions screening its full price. Default: the 10 fixed names
   * (after the first rows every name is one the screener has seen). The other columns are the same either way.
   */
  distinctNames?: number;
}

/** Bumped whenever the generator's output for a given seed changes (caches of generated files compare it). */
export const GENERATOR_VERSION = 3;

export interface GeneratedFile {
  generatorVersion: number;
  rows: number;
  good: number;
  bad: number;
  badByKind: Record<BadRowKind, number>;
  withCard: number;
  bytes: number;
  /** Per currency: count and exact sum in minor units (decimal strings) of the valid, distinct rows. */
  goodTotals: Record<string, { count: string; minor: string }>;
}

const COUNTRIES = [
  ['DE', 18, 'EUR'],
  ['FR', 23, 'EUR'],
  ['NL', 14, 'EUR'],
  ['GB', 18, 'GBP'],
  ['CH', 17, 'CHF'],
] as const;
const NAMES = [
  'Acme Corp',
  'Zoë Müller',
  'Müller, Hans',
  'Ørsted A/S',
  'Société Générale',
  "O'Brien & Sons",
  'Nakamura 株式会社',
  'Globex "Intl"',
  'Initech GmbH',
  'Stark Industries',
];
const CURRENCIES: readonly [string, number][] = [
  ['EUR', 2],
  ['EUR', 2],
  ['EUR', 2],
  ['USD', 2],
  ['USD', 2],
  ['GBP', 2],
  ['CHF', 2],
  ['JPY', 0],
  ['KWD', 3],
];
const BINS = ['411111', '550000', '340000', '601100', '222100'];

function quote(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function account(r: Random, pool: number): string {
  const [country, len] = COUNTRIES[r.int(0, COUNTRIES.length - 1)] as (typeof COUNTRIES)[number];
  const n = String(r.int(0, pool)).padStart(len, '0');
  return ibanFor(country, `${n.slice(0, 4).replace(/\d/g, (d) => String.fromCharCode(65 + Number(d)))}${n.slice(4)}`);
}

/**
 * A log-normal amount in the currency's major unit (median 80, σ = 2): most payments are small and
 * about 1 % exceed 10,000, as in real transaction data (version 2 drew uniformly up to 50,000, so three
 * rows in four were "large" for the AML rules). A float only draws the random size; the amount itself
 * is an integer of minor units from the start.
 */
function amount(r: Random, scale: number, large = false, debitShare = 0.3): string {
  const z = Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
  const size = Math.min(
    Math.round(Math.exp(large ? Math.log(30_000) + 0.5 * z : Math.log(80) + 2 * z) * 10 ** scale),
    1e12,
  );
  const minor = BigInt(Math.max(1, size)) * (r.next() < debitShare ? -1n : 1n);
  const neg = minor < 0n;
  const digits = (neg ? -minor : minor).toString().padStart(scale + 1, '0');
  const body = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return neg ? `-${body}` : body;
}

const pad = (n: number) => String(n).padStart(2, '0');

const SYLLABLES = [
  'ka',
  'lo',
  'mer',
  'tin',
  'sa',
  'bro',
  'vel',
  'du',
  'ran',
  'pe',
  'gor',
  'li',
  'an',
  'ste',
  'vi',
  'ho',
];
const FIRST_NAMES = [
  'Anna',
  'John',
  'Maria',
  'Peter',
  'Li',
  'Ahmed',
  'Olga',
  'Carlos',
  'Yuki',
  'Fatima',
  'Jan',
  'Sofia',
];
const COMPANY_FORMS = ['GmbH', 'Ltd', 'S.A.', 'B.V.', 'AG', 'Trading LLC'];

/** `n` distinct made-up counterparty names: two in three a person ("Maria Lovelti"), one in three a company. */
export function madeUpNames(n: number, seed: number): string[] {
  const r = createRandom(seed);
  const word = (k: number) => {
    let w = '';
    for (let i = 0; i < k; i++) w += r.pick(SYLLABLES);
    return w.charAt(0).toUpperCase() + w.slice(1);
  };
  const out = new Set<string>();
  while (out.size < n)
    out.add(
      r.next() < 2 / 3
        ? `${r.pick(FIRST_NAMES)} ${word(r.int(2, 4))}`
        : `${word(r.int(2, 3))} ${word(2)} ${r.pick(COMPANY_FORMS)}`,
    );
  return [...out];
}

/**
 * Writes a deterministic CSV of realistic bank transactions (valid IBANs, Luhn-valid test card
 * numbers, names needing CSV quoting and UTF-8, currencies with 0/2/3 decimals) with a known number
 * of invalid rows of each kind. Streams to disk: memory does not grow with `rows`.
 */
export async function generateTransactionsCsv(file: string, options: GenerateOptions): Promise<GeneratedFile> {
  const seed = options.seed ?? 20261128;
  const r = createRandom(seed);
  const badRatio = options.badRatio ?? 0.01;
  const cardRatio = options.cardRatio ?? 0.2;
  const prefix = options.idPrefix ?? 'TX';
  // the highest account number drawn per country (0…pool): 5,001 accounts per country by default
  const pool = options.accountsPerCountry !== undefined ? Math.max(0, options.accountsPerCountry - 1) : 5000;
  const span = Math.round((options.spanHours ?? 60 * 24) * 3600);
  const out = fs.createWriteStream(file);
  const badByKind = Object.fromEntries(BAD_KINDS.map((k) => [k, 0])) as Record<BadRowKind, number>;
  let withCard = 0;
  let bytes = 0;
  let buf = `${TRANSACTIONS_CSV_HEADER}\n`;
  const start = Date.UTC(2026, 9, 1);
  let lastGoodId = '';
  const totals = new Map<string, { count: bigint; minor: bigint }>();
  // made-up names come from a random stream of their own: the other columns stay those of the default file
  const made = options.distinctNames
    ? { names: madeUpNames(options.distinctNames, seed + 1), draw: createRandom(seed + 2) }
    : undefined;
  // the fixed name is drawn either way, so that every other column is drawn as in the default file
  const named = (fixed: string) => (made ? (made.names[made.draw.int(0, made.names.length - 1)] as string) : fixed);
  for (let i = 1; i <= options.rows; i++) {
    const [currency, scale] = r.pick(CURRENCIES);
    const t = new Date(start + r.int(0, span) * 1000);
    const booked = `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}Z`;
    const v = new Date(t.getTime() + r.int(0, 2) * 86400_000);
    const valueDate = `${v.getUTCFullYear()}-${pad(v.getUTCMonth() + 1)}-${pad(v.getUTCDate())}`;
    const card =
      r.next() < cardRatio ? luhnComplete(`${r.pick(BINS)}${String(r.int(0, 999_999_999)).padStart(9, '0')}`) : '';
    const fields = [
      `${prefix}${String(i).padStart(9, '0')}`,
      account(r, pool),
      r.next() < 0.8 ? account(r, 1_000_000) : '',
      named(r.pick(NAMES)),
      amount(r, scale, options.largeAmounts, options.debitShare),
      currency,
      booked,
      valueDate,
      r.next() < 0.7 ? `INV-${t.getUTCFullYear()}-${r.int(10000, 99999)}` : '',
      card,
    ];
    let line: string;
    if (lastGoodId && r.next() < badRatio) {
      const kind = r.pick(BAD_KINDS);
      badByKind[kind]++;
      if (kind === 'INVALID_CURRENCY') fields[5] = 'XXQ';
      if (kind === 'AMOUNT_SCALE') fields[4] = currency === 'KWD' ? '1.2345' : currency === 'JPY' ? '10.5' : '10.005';
      if (kind === 'INVALID_AMOUNT') fields[4] = '1,234.56';
      if (kind === 'INVALID_TIMESTAMP') fields[6] = '2026-02-30T10:00:00Z';
      if (kind === 'MISSING_FIELD') fields[1] = '';
      if (kind === 'DUPLICATE_KEY') fields[0] = lastGoodId; // same key as an earlier valid row
      line = fields.map(quote).join(',');
      if (kind === 'FIELD_COUNT_MISMATCH') line = fields.slice(0, 6).map(quote).join(',');
    } else {
      line = fields.map(quote).join(',');
      lastGoodId = fields[0] as string;
      const t = totals.get(currency) ?? { count: 0n, minor: 0n };
      t.count += 1n;
      t.minor += BigInt((fields[4] as string).replace('.', ''));
      totals.set(currency, t);
    }
    if (card && line.includes(card)) withCard++;
    buf += `${line}\n`;
    if (buf.length > 1 << 16) {
      bytes += Buffer.byteLength(buf);
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  }
  bytes += Buffer.byteLength(buf);
  out.end(buf);
  await once(out, 'finish');
  const bad = Object.values(badByKind).reduce((a, b) => a + b, 0);
  const goodTotals = Object.fromEntries(
    [...totals]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([c, t]) => [c, { count: t.count.toString(), minor: t.minor.toString() }]),
  );
  return {
    generatorVersion: GENERATOR_VERSION,
    rows: options.rows,
    good: options.rows - bad,
    bad,
    badByKind,
    withCard,
    bytes,
    goodTotals,
  };
}
