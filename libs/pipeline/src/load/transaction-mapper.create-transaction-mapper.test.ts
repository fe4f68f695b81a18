import { createPanProtector } from '@strongroom/compliance';
import { asFileJob, parseJobDefinition, recordLayout } from '../jobs/job-definition';
import { createTransactionMapper } from './transaction-mapper';

const def = parseJobDefinition(
  'name: t\nsource: { kind: csv, path: /x.csv, mapping: { txn_id: id, account: acct, amount: amt, currency: ccy, booked_at: ts, reference: ref, card_pan: card } }',
);
const header = ['id', 'acct', 'amt', 'ccy', 'ts', 'ref', 'card'];
const mapping = recordLayout(asFileJob(def).source).mapping;
const mapper = createTransactionMapper(header, mapping, createPanProtector({ id: 'k', secret: Buffer.alloc(32, 3) }));
const rec = (fields: string[], recordNo = 1) => mapper.map({ recordNo, fields, raw: fields.join(','), byteEnd: 0 });

describe('createTransactionMapper', () => {
  it('maps a valid record to canonical form with exact money', () => {
    const r = rec(['T1', 'DE89370400440532013000', ' 12.5 ', 'eur', '2026-01-15T10:00:00+02:00', 'inv 7', '']);
    expect(r).toMatchObject({
      ok: true,
      txn: {
        txnId: 'T1',
        currency: 'EUR',
        amount: { decimal: '12.50', minor: 1250n },
        bookedAt: '2026-01-15T08:00:00Z',
        reference: 'inv 7',
        cardPanToken: null,
      },
    });
  });

  it('never lets a clear card number through: column tokenized+masked, free text masked, identifiers tokenized', () => {
    const r = rec([
      '4111111111111111',
      '5500 0000 0000 0004',
      '1',
      'USD',
      '2026-01-15',
      'card 4111-1111-1111-1111',
      '340000000000009',
    ]);
    if (!r.ok) throw new Error(r.rejection.message);
    expect(r.txn.txnId).toMatch(/^tok:k:/);
    expect(r.txn.account).toMatch(/^tok:k:/);
    expect(r.txn.identifiersTokenized).toBe(2); // counted: the run warns that two business keys changed
    expect(r.txn.reference).toBe('card 411111******1111');
    expect(r.txn.cardPanMasked).toBe('340000*****0009');
    expect(r.txn.cardPanToken).toMatch(/^k:/);
    expect(JSON.stringify({ ...r.txn, raw: undefined, amount: undefined })).not.toMatch(
      /4111111111111111|5500000000000004|340000000000009/,
    );
  });

  it('tokenizes a card number every time it appears, and leaves a repeated clean value as it is', () => {
    const m = createTransactionMapper(header, mapping, createPanProtector({ id: 'k', secret: Buffer.alloc(32, 3) }));
    const row = (id: string, acct: string, ref: string) =>
      m.map({ recordNo: 1, fields: [id, acct, '1', 'USD', '2026-01-15', ref, ''], raw: '', byteEnd: 0 });
    for (let i = 0; i < 3; i++) {
      const clean = row(`T${i}`, 'DE89370400440532013000', 'INV-2026-12345');
      const card = row('4111111111111111', 'DE89370400440532013000', 'card 4111-1111-1111-1111');
      if (!clean.ok || !card.ok) throw new Error('mapping failed');
      expect(clean.txn).toMatchObject({ account: 'DE89370400440532013000', reference: 'INV-2026-12345' });
      expect(clean.txn.identifiersTokenized).toBeUndefined();
      expect(card.txn.txnId).toMatch(/^tok:k:/);
      expect(card.txn.identifiersTokenized).toBe(1);
      expect(card.txn.reference).toBe('card 411111******1111');
    }
  });

  it('stores identifiers unchanged that cannot be card numbers, and those the job declares notCardData', () => {
    // Luhn-valid, but no card network issues them: an ACH trace number and a 16-digit account starting with 7
    const r = rec([
      '021000021234500',
      '7000123412341237',
      '1',
      'EUR',
      '2026-01-15',
      'id 12345678-1234-5678-1234-567812345678',
      '',
    ]);
    if (!r.ok) throw new Error(r.rejection.message);
    expect(r.txn.identifiersTokenized).toBeUndefined();
    expect(r.txn).toMatchObject({
      txnId: '021000021234500',
      account: '7000123412341237',
      reference: 'id 12345678-1234-5678-1234-567812345678',
    });
    // a 16-digit account that does pass every card check is tokenized, unless the job says it is no card data
    const cardShaped = '4000056655665556';
    const plain = rec(['T2', cardShaped, '1', 'EUR', '2026-01-15', '', '']);
    expect(plain.ok && plain.txn.account).toMatch(/^tok:k:/);
    const declared = createTransactionMapper(
      header,
      mapping,
      createPanProtector({ id: 'k', secret: Buffer.alloc(32, 3) }),
      ['account'],
    ).map({
      recordNo: 1,
      fields: ['T2', cardShaped, '1', 'EUR', '2026-01-15', `ref ${cardShaped}`, ''],
      raw: '',
      byteEnd: 0,
    });
    expect(declared.ok && declared.txn.account).toBe(cardShaped);
    expect(declared.ok && declared.txn.reference).toBe('ref 400005******5556'); // only the declared field
  });

  it('dead-letters each kind of bad record with its reason and a masked raw record', () => {
    const bad = (fields: string[]) => {
      const r = rec(fields);
      if (r.ok) throw new Error('expected a rejection');
      return r.rejection;
    };
    expect(bad(['T', 'A', '1', 'USD', '2026-01-15', 'x'])).toMatchObject({ code: 'FIELD_COUNT_MISMATCH' });
    expect(bad(['', 'A', '1', 'USD', '2026-01-15', '', ''])).toMatchObject({ code: 'MISSING_FIELD', field: 'txn_id' });
    expect(bad(['T', 'A', '1', 'USDX', '2026-01-15', '', ''])).toMatchObject({
      code: 'FIELD_TOO_LONG',
      field: 'currency',
    });
    expect(bad(['T\u0000', 'A', '1', 'USD', '2026-01-15', '', ''])).toMatchObject({
      code: 'INVALID_CHARACTERS',
      field: 'txn_id',
    });
    expect(bad(['T', 'A', '1', 'USD', '2026-01-15', 'a\u0000b', ''])).toMatchObject({
      code: 'INVALID_CHARACTERS',
      field: 'reference',
    });
    expect(rec(['T', 'A', '1', ' USD ', ' 2026-01-15 ', 'multi\nline', '']).ok).toBe(true);
    expect(bad(['T', 'A', '1', 'ZZZ', '2026-01-15', '', ''])).toMatchObject({ code: 'INVALID_CURRENCY' });
    expect(bad(['T', 'A', '0.001', 'EUR', '2026-01-15', '', ''])).toMatchObject({ code: 'AMOUNT_SCALE' });
    expect(bad(['T', 'A', '1', 'EUR', '2026-02-30', '', ''])).toMatchObject({ code: 'INVALID_TIMESTAMP' });
    const pan = bad(['T', 'A', '1', 'EUR', '2026-01-15', 'pay 4111111111111111', '1234']);
    expect(pan).toMatchObject({ code: 'INVALID_PAN', field: 'card_pan' });
    expect(pan.raw).toBe('T,A,1,EUR,2026-01-15,pay 411111******1111,1234');
  });

  it('refuses a header that lacks a mapped column, naming it', () => {
    expect(() =>
      createTransactionMapper(['id', 'acct'], mapping, createPanProtector({ id: 'k', secret: Buffer.alloc(32) })),
    ).toThrow(
      /lacks mapped column\(s\): amt \(for amount\), ccy \(for currency\), ts \(for booked_at\), ref \(for reference\), card \(for card_pan\) \(the first line/,
    );
  });
});
