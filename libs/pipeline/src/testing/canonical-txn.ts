import { type CanonicalTransaction } from '../types';

/** For tests: a valid canonical transaction (USD 1.00 on ACC1, no counterparty, no card), with `over` on top. */
export function canonicalTxn(recordNo: number, over: Partial<CanonicalTransaction> = {}): CanonicalTransaction {
  return {
    recordNo,
    raw: `t${recordNo}`,
    txnId: `t${recordNo}`,
    account: 'ACC1',
    counterpartyAccount: null,
    counterpartyName: null,
    amount: { decimal: '1.00', minor: 100n },
    currency: 'USD',
    bookedAt: '2026-03-01T10:00:00Z',
    valueDate: null,
    reference: null,
    cardPanToken: null,
    cardPanMasked: null,
    ...over,
  };
}
