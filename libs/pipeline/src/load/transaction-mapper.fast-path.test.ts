import { createPanProtector } from '@strongroom/compliance';
import { parseRecords, SpannedRecord, type SourceRecord } from '@strongroom/connectors';
import { type CanonicalTransaction } from '../types';
import { canonicalLine } from './integrity';
import { sinkLines } from './sink-lines';
import { keyHash, repeatedKeys, SpanTxn } from './span-rows';
import { createTransactionMapper, type MapResult } from './transaction-mapper';

// The mapper's fast path (a record parsed cleanly, validated on its bytes) must map every record it takes to the
// row the string path maps, and render the same canonical line and COPY tuple; every other record goes the string
// path. Records are built from values at the edges of each rule, in many combinations.

const IBAN = 'DE89370400440532013000';
const POOLS: Record<string, readonly string[]> = {
  id: [
    'TX1',
    ' TX2 ',
    'TX\t3',
    '4111111111111111',
    'TX-4111 1111 1111 1111',
    'ID=123 cvv 123',
    'é1',
    'Tx"q',
    '',
    'a'.repeat(129),
    'a'.repeat(128),
    'TX\\x',
    '４１１１１１１１１１１１１１１１',
    'CVV123',
    'cid 1234',
    'x^123',
    'TX000000042',
  ],
  acct: [
    IBAN,
    'DE89370400440532013001',
    'de89370400440532013000',
    'DE89 3704 0044 0532 0130 00',
    'GB82WEST12345698765432',
    ` ${IBAN}`,
    'ACC-1',
    '4111111111111111',
    'DE89370400440532013000CVV123',
    'NL91ABNA0417164300',
    'Ü12',
    '',
  ],
  cp: [IBAN, '', 'FR1420041010050500013M02606', '5500 0000 0000 0004', 'acct 123=4', 'XX00123'],
  name: [
    'Acme Corp',
    'Zoë Müller',
    'Müller, Hans',
    'Globex "Intl"',
    '株式会社',
    '  ',
    ' lead',
    'trail ',
    'tab\tin',
    'Card 4111 1111 1111 1111',
    'cvv 123',
    'x^y 123',
    'a=b 456',
    'Security Code 999',
    'back\\slash',
    '\u00a0nbsp',
    'line\nbreak',
    '٤١١١١١١١١١١١١١١١',
    'x'.repeat(257),
    'y'.repeat(256),
    'emoji 😀',
    '"',
    'CSC',
    '1234567890123',
    'Ørsted A/S 12345678901',
    '',
  ],
  amt: [
    '12.34',
    '-12.34',
    '0.00',
    '-0.00',
    '12.3',
    '12',
    '012.34',
    '1e5',
    '1,000.00',
    ' 12.34',
    '12.340',
    '-0',
    '0',
    '99999999999999999999.99',
    '1234567890123456789012.00',
    '12345678901234567890123.00',
    '14',
    '-203.828',
    '.5',
    '',
  ],
  ccy: ['EUR', 'eur', 'JPY', 'KWD', 'XAU', 'EURO', ' EUR', 'CLF', '', 'USD'],
  ts: [
    '2026-10-12T07:15:20Z',
    '2026-02-30T00:00:00Z',
    '2026-10-12 07:15:20',
    '2026-10-12T07:15:20+02:00',
    '2026-10-12',
    '2026-10-12T24:00:00Z',
    '0000-01-01T00:00:00Z',
    '2026-10-12T07:15:20.5Z',
    '',
    ' 2026-10-12T07:15:20Z',
    '2024-02-29T23:59:59Z',
    '2026-10-12T07:60:00Z',
    '2026-10-12t07:15:20z',
  ],
  vd: ['2026-10-13', '', '2026-13-01', '2024-02-29', '2023-02-29', '20261013', '0000-01-01', '2026-10-13 '],
  ref: [
    'INV-2026-12345',
    '',
    'pay 4111-1111-1111-1111 now',
    'track %B4111111111111111^DOE/J^2512101',
    'x',
    'ref\\n',
    'CVC: 123',
    'ＣＶＶ 123',
    'security code 123',
    'Security  code 123',
    'a,b',
    '"q"',
    // track data with 12 digits (fewer than a card number has)
    '123456789012===',
    'B123456789012^DOE^^^',
  ],
  card: [
    '',
    '4111111111111111',
    '4111 1111 1111 1111',
    '4111111111111112',
    '123',
    ' 4111111111111111',
    '41111111111111111111',
    '340000000000009',
    '٤١١١١١١١١١١١١١١١',
  ],
};
const COLUMNS = Object.keys(POOLS);
const MAPPING = {
  txn_id: 'id',
  account: 'acct',
  counterparty_account: 'cp',
  counterparty_name: 'name',
  amount: 'amt',
  currency: 'ccy',
  booked_at: 'ts',
  value_date: 'vd',
  reference: 'ref',
  card_pan: 'card',
};
const pan = createPanProtector({ id: 'k', secret: Buffer.alloc(32, 7) });
const PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29];

/** A CSV field: quoted when it must be, and every third one quoted anyway. */
function csvField(v: string, i: number): string {
  return /[",\r\n]/.test(v) || i % 3 === 0 ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * Record i: the pools' first (valid) values, with one column's value (and in every third record a second one's)
 * taken from its pool in turn; every fifth record takes each column's value by a different stride (combinations).
 */
function recordValues(i: number): string[] {
  const n = COLUMNS.length;
  const one = i % n;
  const two = i % 3 === 0 ? Math.floor(i / 7) % n : -1;
  return COLUMNS.map((c, k) => {
    const pool = POOLS[c] as readonly string[];
    if (i % 5 === 4) return pool[Math.floor(i / (PRIMES[k] as number)) % pool.length] as string;
    if (k === one) return pool[Math.floor(i / n) % pool.length] as string;
    if (k === two) return pool[Math.floor(i / 13) % pool.length] as string;
    return pool[0] as string;
  });
}

/** A valid record's line, with column `k`'s value replaced by `value`. */
const BASE = ['TX1', IBAN, '', 'Acme Corp', '12.34', 'EUR', '2026-10-12T07:15:20Z', '2026-10-13', 'INV-1', ''];
function withValue(k: number, value: string): string {
  return BASE.map((b, j) => (j === k ? value : b))
    .map(csvField)
    .join(',');
}

function fileOf(lines: string[]): Buffer {
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** Parses the records and maps each twice: as the CSV source hands it on, and as a plain record (the string path). */
function mapBoth(body: Buffer, header: string[], notCardData: Parameters<typeof createTransactionMapper>[3] = []) {
  const mapper = createTransactionMapper(header, MAPPING, pan, notCardData);
  const { records } = parseRecords(body, { delimiter: 0x2c }, true);
  const out: { fast: MapResult; slow: MapResult; spanned: boolean }[] = [];
  records.forEach((r, i) => {
    const plain: SourceRecord = { recordNo: i + 1, fields: [...r.fields], raw: r.raw, byteEnd: 0 };
    if (r.error) plain.error = r.error;
    let fast: MapResult;
    if (r instanceof SpannedRecord) {
      r.recordNo = i + 1;
      fast = mapper.map(r);
    } else {
      fast = mapper.map(plain);
    }
    out.push({ fast, slow: mapper.map(plain), spanned: r instanceof SpannedRecord });
  });
  return out;
}

/** The row's values as plain data (a SpanTxn's are read through its getters). */
function valuesOf(t: CanonicalTransaction) {
  return {
    recordNo: t.recordNo,
    raw: t.raw,
    txnId: t.txnId,
    account: t.account,
    counterpartyAccount: t.counterpartyAccount,
    counterpartyName: t.counterpartyName,
    amount: { decimal: t.amount.decimal, minor: t.amount.minor },
    currency: t.currency,
    bookedAt: t.bookedAt,
    valueDate: t.valueDate,
    reference: t.reference,
    cardPanToken: t.cardPanToken,
    cardPanMasked: t.cardPanMasked,
    identifiersTokenized: t.identifiersTokenized ?? 0,
  };
}

function expectSameRows(results: ReturnType<typeof mapBoth>): { fast: number; ok: number } {
  let fast = 0;
  let ok = 0;
  const fastRows: CanonicalTransaction[] = [];
  const slowRows: CanonicalTransaction[] = [];
  for (const { fast: f, slow: s } of results) {
    expect(f.ok).toBe(s.ok);
    if (f.ok && s.ok) {
      ok++;
      if (f.txn instanceof SpanTxn) fast++;
      expect(valuesOf(f.txn)).toEqual(valuesOf(s.txn));
      fastRows.push(f.txn);
      slowRows.push(s.txn);
    } else {
      expect(f).toEqual(s);
    }
  }
  const ctx = { sourceSystem: 'src\\1', runId: '0190a5a4-1111-7000-8000-000000000001' };
  const a = sinkLines(ctx, fastRows);
  const b = sinkLines(ctx, slowRows);
  expect(a.canonical.bytes().equals(b.canonical.bytes())).toBe(true);
  expect(a.copy.bytes().equals(b.copy.bytes())).toBe(true);
  // and the line is canonicalLine's text of the row
  fastRows.forEach((t, i) => expect(a.canonical.text(i)).toBe(canonicalLine(ctx.sourceSystem, t)));
  return { fast, ok };
}

describe('createTransactionMapper: the fast path over a record’s bytes', () => {
  it('maps every record it takes as the string path does, and the sink gets the same bytes', () => {
    const lines = [];
    for (let i = 0; i < 6000; i++) lines.push(recordValues(i).map(csvField).join(','));
    const results = mapBoth(fileOf(lines), COLUMNS);
    const { fast, ok } = expectSameRows(results);
    // not vacuous: the fast path took most valid records, and the string path all the others
    expect(ok).toBeGreaterThan(1500);
    expect(fast).toBeGreaterThan(ok / 3);
    expect(fast).toBeLessThan(ok);
  });

  it('takes the common record, quoted fields and doubled quotes in free text included', () => {
    const valid = [
      ['TX1', IBAN, '', 'Acme Corp', '12.34', 'EUR', '2026-10-12T07:15:20Z', '2026-10-13', 'INV-1', ''],
      ['TX2', IBAN, 'FR1420041010050500013M02606', 'Globex "Intl"', '-1', 'JPY', '2026-10-12T07:15:20Z', '', '', ''],
      ['TX3', IBAN, '', 'Zoë Müller, Ørsted', '1.500', 'KWD', '2026-10-12T07:15:20Z', '', 'a\\b', '4111111111111111'],
    ];
    const results = mapBoth(fileOf(valid.map((v) => v.map(csvField).join(','))), COLUMNS);
    expect(results.map((r) => r.fast.ok && r.fast.txn instanceof SpanTxn)).toEqual([true, true, true]);
    expectSameRows(results);
    const t = results[2]?.fast as { ok: true; txn: CanonicalTransaction };
    expect(t.txn.cardPanMasked).toBe('411111******1111');
    expect(t.txn.amount).toEqual({ decimal: '1.500', minor: 1500n });
  });

  it('normalizes as the string path does an amount, a booking time or a currency in another accepted form', () => {
    const variants: [number, string][] = [
      [4, '12.3'], // 12.30
      [4, '+0012.300'], // 12.30
      [4, '-0.00'], // 0.00
      [5, 'eur'], // EUR
      [6, '2026-10-12T07:15:20+02:00'], // 05:15:20Z
      [6, '2026-10-12 07:15:20.123'], // with its fraction
      [6, '2026-10-12'], // midnight
    ];
    const lines = variants.map(([k, v]) => withValue(k, v));
    const results = mapBoth(fileOf(lines), COLUMNS);
    expect(results.map((r) => r.fast.ok && r.fast.txn instanceof SpanTxn)).toEqual(variants.map(() => true));
    expectSameRows(results);
    const values = results.map((r) => (r.fast.ok ? valuesOf(r.fast.txn) : undefined));
    expect(values.map((v) => v?.amount.decimal)).toEqual([
      '12.30',
      '12.30',
      '0.00',
      '12.34',
      '12.34',
      '12.34',
      '12.34',
    ]);
    expect(values.map((v) => v?.bookedAt).slice(4)).toEqual([
      '2026-10-12T05:15:20Z',
      '2026-10-12T07:15:20.123000Z',
      '2026-10-12T00:00:00Z',
    ]);
  });

  it('leaves to the string path what it would change or reject: card data, white space, other forms', () => {
    const variants: [number, string][] = [
      [8, 'pay 4111-1111-1111-1111'], // masked
      [0, '4111111111111111'], // tokenized
      [3, 'cvv 123'], // a labelled code removed
      [8, 'x^123'], // may be track data
      [1, ` ${IBAN}`], // trimmed
      [9, '4111 1111 1111 1111'], // a card number with separators
      [3, '٤١١١١١١١١١١١١١١١'], // digits of another script
    ];
    const lines = variants.map(([k, v]) => withValue(k, v));
    const results = mapBoth(fileOf(lines), COLUMNS);
    expect(results.map((r) => r.fast.ok && r.fast.txn instanceof SpanTxn)).toEqual(variants.map(() => false));
    expectSameRows(results);
  });

  it('holds with columns in another order, fields the job does not map, and fields declared free of card data', () => {
    const header = ['card', 'ts', 'amt', 'extra', 'ccy', 'acct', 'id', 'name'];
    const lines = [];
    for (let i = 0; i < 3000; i++) {
      const v = recordValues(i);
      const by = Object.fromEntries(COLUMNS.map((c, k) => [c, v[k] as string]));
      lines.push(header.map((h, j) => csvField(h === 'extra' ? 'x' : (by[h] as string), i + j)).join(','));
    }
    // a mapping without counterparty_account, value_date and reference: those stay null
    const partial = { ...MAPPING } as Record<string, string>;
    delete partial.counterparty_account;
    delete partial.value_date;
    delete partial.reference;
    const mapper = createTransactionMapper(header, partial, pan, ['txn_id', 'counterparty_name']);
    const { records } = parseRecords(fileOf(lines), { delimiter: 0x2c }, true);
    const results = records.map((r, i) => {
      const plain: SourceRecord = { recordNo: i + 1, fields: [...r.fields], raw: r.raw, byteEnd: 0 };
      if (r.error) plain.error = r.error;
      if (r instanceof SpannedRecord) r.recordNo = i + 1;
      return { fast: mapper.map(r instanceof SpannedRecord ? r : plain), slow: mapper.map(plain), spanned: true };
    });
    const { fast, ok } = expectSameRows(results);
    expect(fast).toBeGreaterThan(ok / 3);
    // a txn_id declared free of card data is stored as written, on both paths
    const id = results.find((r) => r.fast.ok && r.fast.txn.txnId === '4111111111111111');
    expect(id).toBeDefined();
  });

  it('rejects what the string path rejects, with the same reason (records with too few or too many fields)', () => {
    const results = mapBoth(fileOf(['TX1,x', `TX2,${IBAN},,A,1.00,EUR,2026-10-12T07:15:20Z,,,,extra`]), COLUMNS);
    expect(results.map((r) => (r.fast.ok ? 'ok' : r.fast.rejection.code))).toEqual([
      'FIELD_COUNT_MISMATCH',
      'FIELD_COUNT_MISMATCH',
    ]);
    expectSameRows(results);
  });

  it('finds the rows whose key an earlier row has, by hash, whichever path mapped them', () => {
    // K47199 and K1168204 have the same 32-bit hash: their rows are compared by their keys
    expect(keyHash('K47199')).toBe(keyHash('K1168204'));
    // a key with a character that is not ASCII (free of card data by the job's word) is hashed as text
    const ids = ['K1', 'K47199', 'K2', 'K1168204', 'K1', 'K47199', 'Küx', 'Küx', 'K1168204', 'K3'];
    const lines = ids.map((id) => [id, IBAN, '', 'Acme', '1.00', 'EUR', '2026-10-12T07:15:20Z', '', '', ''].join(','));
    const results = mapBoth(fileOf(lines), COLUMNS, ['txn_id']);
    const fast = results.map((r) => (r.fast.ok ? r.fast.txn : undefined) as CanonicalTransaction);
    const slow = results.map((r) => (r.slow.ok ? r.slow.txn : undefined) as CanonicalTransaction);
    expect(fast.filter((t) => t instanceof SpanTxn)).toHaveLength(10);
    const expected = new Set([4, 5, 7, 8]);
    expect(repeatedKeys(fast)).toEqual(expected);
    expect(repeatedKeys(slow)).toEqual(expected);
    // rows of both paths in one batch
    expect(repeatedKeys(fast.map((t, i) => (i % 2 ? t : slow[i]) as CanonicalTransaction))).toEqual(expected);
  });
});
