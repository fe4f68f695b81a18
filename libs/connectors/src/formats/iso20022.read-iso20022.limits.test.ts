import { readIso20022 } from './iso20022';
import { SeenKeys } from './iso20022-xml';
import { FormatError } from './types';
import { textBytes, read, bal, ntry, camt053, rejection } from './iso20022-test-support';

describe('readIso20022 limits', () => {
  it('rejects a DOCTYPE before the parser reads it, also when it arrives split across pieces', async () => {
    const xml = camt053(ntry({ amt: '1.00', ind: 'CRDT' })).replace(
      '<Document',
      '<!DOCTYPE Document [<!ENTITY e "x">]>\n<Document',
    );
    for (const chunkBytes of [5, 1 << 16]) {
      const err = await rejection(xml, chunkBytes);
      expect([err.message, err.location]).toEqual([
        'line 2: a DOCTYPE declaration is not allowed: ISO 20022 messages have none',
        'line 2',
      ]);
    }
    const afterRoot = await rejection(`${camt053(ntry({ amt: '1.00', ind: 'CRDT' }))}<!DOCTYPE Document>`);
    expect(afterRoot.message).toContain('malformed XML: inappropriately located doctype declaration');
  });

  it('rejects a start tag with 100 attributes and accepts one with 64', async () => {
    const attributes = (n: number): string => Array.from({ length: n }, (_, i) => ` a${i}="${i}"`).join('');
    const xml = (n: number): string =>
      camt053(ntry({ amt: '1.00', ind: 'CRDT' })).replace('<Stmt>', `<Stmt${attributes(n)}>`);
    const err = await rejection(xml(100));
    // located by its parent's path and its own start tag
    expect([err.message, err.location]).toEqual([
      '/Document/BkToCstmrStmt (line 3, column 1): element Stmt has 100 attributes, more than 64',
      '/Document/BkToCstmrStmt (line 3, column 1)',
    ]);
    expect((await read(textBytes(xml(64)))).entries).toHaveLength(1);
  });

  it('rejects a 2 MiB text node after reading little more than 1 MiB of it', async () => {
    const [head, tail] = camt053('<Ntry><AddtlNtryInf>@@</AddtlNtryInf></Ntry>').split('@@') as [string, string];
    let piecesRead = 0;
    async function* generate(): AsyncGenerator<Buffer> {
      yield Buffer.from(head);
      for (; piecesRead < 32; piecesRead++) yield Buffer.from('x'.repeat(1 << 16)); // 32 × 64 KiB
      yield Buffer.from(tail);
    }
    const err = await read(generate()).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).message).toBe(
      '/Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/AddtlNtryInf[1] (line 4, column 7): no element boundary within 1 MiB of text: a tag or text node this large is not an ISO 20022 message',
    );
    expect(piecesRead).toBeLessThanOrEqual(17);
  });

  it('streams a camt.053 of 200,000 entries with unique AcctSvcrRefs, keyed by them, with the right count and balance', async () => {
    const n = 200_000;
    async function* generate(): AsyncGenerator<Buffer> {
      const [head, tail] = camt053(`${bal('OPBD', '1000.00')}${bal('CLBD', '52000.00')}@@`).split('@@') as [
        string,
        string,
      ];
      yield Buffer.from(head);
      for (let i = 0; i < n; i += 2000) {
        let block = '';
        for (let j = i; j < i + 2000; j++) {
          const [amt, ind] = j % 2 ? ['0.50', 'DBIT'] : ['1.01', 'CRDT'];
          block += `<Ntry><Amt Ccy="EUR">${amt}</Amt><CdtDbtInd>${ind}</CdtDbtInd><Sts>BOOK</Sts><AcctSvcrRef>ACCTSVCRREF-${j}</AcctSvcrRef></Ntry>\n`;
        }
        yield Buffer.from(block);
      }
      yield Buffer.from(tail);
    }
    let count = 0;
    let plainKeys = 0;
    const gen = readIso20022(generate());
    for (;;) {
      const r = await gen.next();
      if (r.done) {
        expect(count).toBe(n);
        expect(plainKeys).toBe(n);
        expect(r.value.counts).toEqual({ statements: 1, entries: n, booked: n, notBooked: 0, transactionDetails: 0 });
        expect(r.value.checks).toEqual([
          {
            name: 'Stmt[1] (Id S1) closing balance CLBD EUR',
            location: 'line 4',
            expected: '52000.00',
            found: '52000.00',
            ok: true,
          },
        ]);
        expect(r.value.warnings).toEqual([]);
        break;
      }
      if (r.value.txnId === `S1/ACCTSVCRREF-${count}`) plainKeys++;
      count++;
    }
  }, 120_000);
});

describe('SeenKeys', () => {
  it('finds a repeated reference, and past its cap stops remembering new ones and counts them', () => {
    const seen = new SeenKeys(2);
    expect(['A', 'B', 'A', 'C', 'C', 'B'].map((k) => seen.repeated(k))).toEqual([
      false,
      false,
      true,
      false,
      false,
      true,
    ]);
    expect(seen.untracked).toBe(2);
  });
});
