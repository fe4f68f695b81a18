import { createPanProtector } from '@strongroom/compliance';
import { CANONICAL_FIELDS, csvLine, parseRecords } from '@strongroom/connectors';
import { recordLayout } from '../jobs/job-definition';
import { tokenizeBankRecord } from './bank-records';
import { createTransactionMapper } from './transaction-mapper';

const pan = createPanProtector({ id: 'k1', secret: Buffer.alloc(32, 7) });
const layout = recordLayout({ kind: 'ach', path: '/x.ach' });
const mapper = createTransactionMapper([...CANONICAL_FIELDS], layout.mapping, pan);

describe('tokenizeBankRecord', () => {
  it('lets a dead-lettered bank record replay to the same business key and account as the run mapped it', () => {
    // a trace number and an account number that happen to be Luhn-valid card-number-like digit runs
    const fields = [
      '0121042882:1906240000A:0000001:378282246310005',
      '231380104:4111111111111111',
      '',
      'Acme',
      'not-money',
      'USD',
      '2019-06-25',
      '',
      'ref 5555555555554444',
      '',
    ];
    const record = { recordNo: 7, fields, raw: csvLine(fields), byteEnd: 100 };
    const prepared = tokenizeBankRecord(record, pan);
    const first = mapper.map(prepared);
    expect(first.ok).toBe(false); // dead-lettered (INVALID_AMOUNT): its raw text is what the DLQ keeps
    const stored = first.ok ? '' : first.rejection.raw;
    expect(stored).not.toMatch(/4111111111111111|378282246310005|5555555555554444/);
    // the replay: the stored line with the amount corrected, parsed and mapped as the replay does
    const corrected = stored.replace('not-money', '-12.50');
    const parsed = parseRecords(Buffer.from(`${corrected}\n`), { delimiter: layout.delimiter.charCodeAt(0) }, true)
      .records[0];
    const replayed = mapper.map({ recordNo: 7, fields: parsed?.fields ?? [], raw: corrected, byteEnd: 0 });
    const direct = mapper.map(
      tokenizeBankRecord({ ...record, fields: fields.map((f) => (f === 'not-money' ? '-12.50' : f)) }, pan),
    );
    expect(replayed.ok && direct.ok).toBe(true);
    if (!replayed.ok || !direct.ok) return;
    expect({ txnId: replayed.txn.txnId, account: replayed.txn.account }).toEqual({
      txnId: direct.txn.txnId,
      account: direct.txn.account,
    });
    expect(replayed.txn.account).toMatch(/^231380104:tok:k1:/);
    expect(replayed.txn.txnId).toMatch(/:tok:k1:/);
  });
});
