import { amlCandidates, resolveAmlConfig, velocityClustered } from '@strongroom/compliance';
import { prepareAmlInputs } from './compliance-checks';
import { canonicalTxn } from '../testing/canonical-txn';
import { type CanonicalTransaction } from '../types';

const aml = resolveAmlConfig({});

const txn = (recordNo: number, decimal: string, over: Partial<CanonicalTransaction> = {}) =>
  canonicalTxn(recordNo, {
    account: `ACC${recordNo % 3}`,
    amount: { decimal, minor: BigInt(decimal.replace('.', '')) },
    bookedAt: `2026-03-01T10:${String(recordNo % 60).padStart(2, '0')}:00Z`,
    ...over,
  });

const known = (rows: CanonicalTransaction[]) =>
  rows.map((t) => ({ recordNo: t.recordNo, minor: t.amount.minor, exponent: 2, currency: t.currency }));

/** What a batch's AML statements take from its rows, worked out ahead of its commit. */
describe('prepareAmlInputs', () => {
  it('sends the candidate list while it is at most half the batch', () => {
    // 5 of 10 rows can match a per-row rule
    const rows = Array.from({ length: 10 }, (_, i) => txn(i + 1, i % 2 ? '12.34' : '25000.00'));
    const prepared = prepareAmlInputs(aml, rows);
    expect(prepared.candidates).toEqual([1, 3, 5, 7, 9]);
    expect(prepared.candidates).toEqual(amlCandidates(known(rows), aml));
  });

  it('reads the batch whole (no list) when most rows are candidates', () => {
    // 6 of 10: the statements read every row of the batch (each applies its own predicate), and no list is built
    // or parsed on either side
    const rows = Array.from({ length: 10 }, (_, i) => txn(i + 1, i % 5 < 3 ? '25000.00' : '12.34'));
    expect(amlCandidates(known(rows), aml)).toHaveLength(6);
    expect(prepareAmlInputs(aml, rows).candidates).toBeNull();
  });

  it('reads the batch whole when a currency of the batch has no known exponent', () => {
    const rows = [txn(1, '12.34'), txn(2, '12.34', { currency: 'XYZ' }), txn(3, '12.34'), txn(4, '12.34')];
    expect(prepareAmlInputs(aml, rows).candidates).toBeNull();
  });

  it('lists the rows VELOCITY checks set-based and the high-risk jurisdiction hits', () => {
    const rows = [
      txn(1, '10.00', { account: 'A', bookedAt: '2026-03-01T10:00:00Z' }),
      txn(2, '10.00', { account: 'A', bookedAt: '2026-03-01T10:30:00Z' }),
      txn(3, '10.00', {
        account: 'B',
        bookedAt: '2026-03-01T10:00:00Z',
        counterpartyAccount: 'IR062960000000100324200001',
      }),
      txn(4, '10.00', { account: 'KP001234567890123456', bookedAt: '2026-03-01T12:00:00Z' }),
    ];
    const prepared = prepareAmlInputs(aml, rows);
    expect(prepared.clustered).toEqual(velocityClustered(rows, aml.velocity.windowHours));
    expect([...prepared.clustered].sort()).toEqual([1, 2]);
    expect(prepared.highRisk).toEqual([
      { recordNo: 3, score: 50, evidence: { field: 'counterparty_account', country: 'IR' } },
      { recordNo: 4, score: 50, evidence: { field: 'account', country: 'KP' } },
    ]);
  });
});
