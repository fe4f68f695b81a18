// ISO 20022 messages as banks exchange them: the Document inside an envelope, beside its Business
// Application Header (head.001). The envelope and the header are skipped; the message reads as it would alone.
import fs from 'node:fs';
import path from 'node:path';
import { corpusDir } from '@strongroom/testing';
import { camt053, bal, ntry, read, rejection, textBytes } from './iso20022-test-support';
import { iso20022Reader } from './iso20022';
import { readAll } from './reader-test-support';

const HEAD = 'urn:iso:std:iso:20022:tech:xsd:head.001.001.02';
const appHdr = (msgDef: string) =>
  `<AppHdr xmlns="${HEAD}"><Fr><FIId><FinInstnId><BICFI>BANKDEFFXXX</BICFI></FinInstnId></FIId></Fr>` +
  `<To><FIId><FinInstnId><BICFI>CUSTDEFFXXX</BICFI></FinInstnId></FIId></To><BizMsgIdr>B-1</BizMsgIdr>` +
  `<MsgDefIdr>${msgDef}</MsgDefIdr><CreDt>2024-03-01T10:00:00Z</CreDt></AppHdr>`;
/** The document (without its XML declaration) inside an envelope whose root has the given name and namespace. */
const wrap = (xml: string, root = 'BizMsgEnvlp', ns = '', msgDef = 'camt.053.001.08') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<${root}${ns ? ` xmlns="${ns}"` : ''}>${appHdr(msgDef)}${xml.replace(/^\ufeff?<\?xml[^>]*>\s*/, '')}</${root}>`;

describe('ISO 20022 in a Business Application Header envelope', () => {
  it('reads a camt.053 in an envelope exactly as the bare document, whatever the envelope is called', async () => {
    const doc = camt053(`${bal('OPBD', '100.00')}${bal('CLBD', '130.00')}${ntry({ amt: '30.00', ind: 'CRDT' })}`);
    const bare = await read(textBytes(doc));
    for (const [root, ns] of [
      ['BizMsgEnvlp', 'urn:iso:std:iso:20022:tech:xsd:nvlp.001.001.01'],
      ['message', ''],
      ['RequestPayload', ''],
    ] as const) {
      const wrapped = await read(textBytes(wrap(doc, root, ns), 7));
      // the same entries (where they are in the file moves with the envelope's lines)
      const strip = (es: typeof bare.entries) => es.map(({ location: _where, ...e }) => e);
      expect(bare.entries).toHaveLength(1);
      expect(strip(wrapped.entries)).toEqual(strip(bare.entries));
      expect(wrapped.summary.checks).toEqual(bare.summary.checks);
      expect(wrapped.summary.format).toBe('camt053');
    }
  });

  it('reads a real camt.053 and a pain.001 from the corpus inside an envelope', async () => {
    const dir = corpusDir('camt053');
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.xml') && f.includes('minimal')) as string;
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const bare = await read(textBytes(text));
    const wrapped = await read(textBytes(wrap(text)));
    expect(bare.entries.length).toBeGreaterThan(0);
    expect(wrapped.entries.map((e) => [e.txnId, e.amount, e.currency])).toEqual(
      bare.entries.map((e) => [e.txnId, e.amount, e.currency]),
    );
    expect(wrapped.summary.checks.every((c) => c.ok)).toBe(bare.summary.checks.every((c) => c.ok));
    const painDir = corpusDir('pain001');
    const painFile = fs.readdirSync(painDir).find((f) => f.endsWith('.xml')) as string;
    const pain = fs.readFileSync(path.join(painDir, painFile), 'utf8');
    const painBare = await read(textBytes(pain)).catch((e: Error) => e);
    const painWrapped = await read(textBytes(wrap(pain, 'BizMsgEnvlp', '', 'pain.001.001.03'))).catch((e: Error) => e);
    if (painBare instanceof Error) expect((painWrapped as Error).message).toBe(painBare.message);
    else {
      expect(painBare.entries.length).toBeGreaterThan(0);
      expect((painWrapped as typeof painBare).entries.map((e) => [e.txnId, e.amount])).toEqual(
        painBare.entries.map((e) => [e.txnId, e.amount]),
      );
    }
  });

  it('refuses a UTF-16 file with what to do, instead of an XML error', async () => {
    const doc = camt053(`${bal('OPBD', '1.00')}${bal('CLBD', '1.00')}`);
    for (const bytes of [
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(doc, 'utf16le')]),
      Buffer.from(doc, 'utf16le'),
    ]) {
      const err = await read(
        (async function* () {
          yield bytes;
        })(),
      ).catch((e: Error) => e);
      expect((err as Error).message).toMatch(
        /^byte 0: the file is UTF-16 .*convert it first, e\.g\. iconv -f UTF-16 -t UTF-8$/,
      );
    }
  });

  it('names what is wrong: an envelope with no message, a second message, a Document of another kind', async () => {
    expect((await rejection(wrap('<Other xmlns="urn:x"/>'))).message).toBe(
      'end of document: root element BizMsgEnvlp holds no ISO 20022 camt.052, camt.053, camt.054 or pain.001 Document',
    );
    const doc = camt053(`${bal('OPBD', '1.00')}${bal('CLBD', '1.00')}`).replace(/^<\?xml[^>]*>\s*/, '');
    expect((await rejection(wrap(`${doc}${doc}`))).message).toMatch(
      /a second message \(Document\) in the envelope: one message per file$/,
    );
    expect(
      (await rejection(wrap('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><X/></Document>')))
        .message,
    ).toContain('unsupported namespace "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08" on element Document');
  });

  it('reads camt.053 entries without Sts as booked under strictness: lenient; refuses them strictly, saying so', async () => {
    const doc = camt053(
      `${bal('OPBD', '100.00')}${bal('CLBD', '130.00')}${ntry({ amt: '30.00', ind: 'CRDT' }).replace('<Sts>BOOK</Sts>', '')}`,
      'urn:iso:std:iso:20022:tech:xsd:camt.053.001.08',
    );
    expect((await rejection(wrap(doc))).message).toMatch(
      /Ntry has no Sts \(a camt\.053 entry without one is read as booked with source\.strictness: lenient\)$/,
    );
    const lenient = await readAll(iso20022Reader({ lenient: true }), textBytes(wrap(doc)));
    expect(lenient.entries.map((e) => e.amount)).toEqual(['30.00']);
    expect(lenient.summary.checks.every((c) => c.ok)).toBe(true);
    expect(lenient.summary.warnings).toContain('1 entry without Sts read as booked (strictness: lenient)');
    // a missing indicator says it is missing (it said `is ""`)
    const noInd = camt053(
      `${bal('OPBD', '1.00')}${ntry({ amt: '1.00', ind: 'CRDT' }).replace('<CdtDbtInd>CRDT</CdtDbtInd>', '')}`,
    );
    expect((await rejection(noInd)).message).toContain('Ntry/CdtDbtInd is missing, expected CRDT or DBIT');
  });

  it('reads a missing CdtDbtInd under lenient where the sign is otherwise given; never guesses an entry, never loads a mismatch', async () => {
    const V08 = 'urn:iso:std:iso:20022:tech:xsd:camt.053.001.08';
    const noInd = (xml: string) => xml.replace(/<CdtDbtInd>(CRDT|DBIT)<\/CdtDbtInd>/g, '');
    const lenient = (xml: string) => readAll(iso20022Reader({ lenient: true }), textBytes(xml));
    // a statement as some banks export it: balances and entries without CdtDbtInd, debits written with a minus,
    // one entry signed by its TxDtls' own CdtDbtInd; a zero balance has no sign to give
    const doc = camt053(
      noInd(
        `${bal('OPBD', '100.00')}${bal('CLBD', '60.00')}${bal('FWAV', '0.00')}` +
          ntry({ amt: '-25.50', ind: 'DBIT' }) +
          ntry({ amt: '+5.50', ind: 'CRDT' }) +
          ntry({ amt: '20.00', ind: 'DBIT' }),
      ).replace(
        /(<Amt Ccy="EUR">20\.00<\/Amt>.*?)<ValDt>/,
        '$1<NtryDtls><TxDtls><Amt Ccy="EUR">20.00</Amt><CdtDbtInd>DBIT</CdtDbtInd></TxDtls></NtryDtls><ValDt>',
      ),
      V08,
    );
    // strictly refused, saying how lenient reads it
    expect((await rejection(doc)).message).toContain(
      'Bal OPBD CdtDbtInd is missing, expected CRDT or DBIT (with source.strictness: lenient, a zero amount or one written with its sign is read without it)',
    );
    const read = await lenient(doc);
    expect(read.entries.map((e) => e.amount)).toEqual(['-25.50', '5.50', '-20.00']);
    // OPBD 100.00 + (-25.50 + 5.50 - 20.00) = CLBD 60.00: the control totals hold, and are still checked
    expect(read.summary.checks.length).toBeGreaterThan(0);
    expect(read.summary.checks.every((c) => c.ok)).toBe(true);
    expect(read.summary.warnings).toContain(
      "6 amounts without CdtDbtInd read by their sign (strictness: lenient): 2 written with their sign, 1 zero, 1 by their one TxDtls' CdtDbtInd, 2 unsigned, read as credit (confirmed by a balance check or transaction summary)",
    );
    // an unsigned entry is read as a credit only when the statement confirms it: balances with their signs
    // given whose check covers it…
    const confirmed = camt053(
      `${bal('OPBD', '1.00')}${bal('CLBD', '2.00')}${noInd(ntry({ amt: '1.00', ind: 'CRDT' }))}`,
      V08,
    );
    const c = await lenient(confirmed);
    expect(c.entries.map((e) => e.amount)).toEqual(['1.00']);
    expect(c.summary.checks.every((x) => x.ok)).toBe(true);
    // …never by balances that lack their signs too: an overdrawn account (-100, a debit of 50, -150) written
    // without any sign would balance as 100 + 50 = 150 and load the debit as a credit
    const overdrawnUnsigned = camt053(
      noInd(`${bal('OPBD', '100.00')}${bal('CLBD', '150.00')}${ntry({ amt: '50.00', ind: 'DBIT' })}`),
      V08,
    );
    // …nor by a minus written on a balance, a check in another currency, or one accepted under the
    // forward-value convention (each would let a debit load as a credit)
    const onlyClosing = camt053(
      noInd(`${bal('CLBD', '-250.00')}${ntry({ amt: '100.00', ind: 'DBIT' })}${ntry({ amt: '150.00', ind: 'DBIT' })}`),
      V08,
    );
    await expect(lenient(onlyClosing)).rejects.toThrow(/2 entries in EUR without CdtDbtInd and without a sign/);
    const otherCcy = camt053(
      noInd(
        `${bal('OPBD', '100.00')}${bal('CLBD', '80.00')}${ntry({ amt: '-20.00', ind: 'DBIT' })}` +
          ntry({ amt: '500.00', ind: 'DBIT' }).replace('Ccy="EUR"', 'Ccy="USD"'),
      ),
      V08,
    );
    await expect(lenient(otherCcy)).rejects.toThrow(/1 entry in USD without CdtDbtInd and without a sign/);
    const forward = camt053(
      noInd(
        `${bal('OPBD', '100.00', 'CRDT', '2024-03-01')}${bal('CLBD', '95.00', 'CRDT', '2024-03-01')}` +
          ntry({ amt: '-5.00', ind: 'DBIT' }) +
          ntry({ amt: '100.00', ind: 'DBIT', valDt: '2024-03-05' }),
      ),
      V08,
    );
    await expect(lenient(forward)).rejects.toThrow(/1 entry in EUR without CdtDbtInd and without a sign/);
    // …nor by debits written with a minus beside unsigned balances, when another reading balances too
    for (const extra of [
      ntry({ amt: '-1.00', ind: 'DBIT', sts: 'PDNG' }),
      `${ntry({ amt: '-7.00', ind: 'DBIT' })}${ntry({ amt: '7.00', ind: 'CRDT' }).replace('<Amt Ccy="EUR">7.00', '<Amt Ccy="EUR">+7.00')}`,
    ])
      await expect(
        lenient(
          camt053(
            noInd(`${bal('OPBD', '100.00')}${bal('CLBD', '150.00')}${ntry({ amt: '50.00', ind: 'DBIT' })}${extra}`),
            V08,
          ),
        ),
      ).rejects.toThrow(/1 entry in EUR without CdtDbtInd and without a sign/);
    const twoWays = camt053(
      noInd(
        `${bal('OPBD', '20.00')}${bal('CLBD', '50.00')}${ntry({ amt: '-20.00', ind: 'DBIT' })}${ntry({ amt: '50.00', ind: 'DBIT' })}`,
      ),
      V08,
    );
    await expect(lenient(twoWays)).rejects.toThrow(/1 entry in EUR without CdtDbtInd and without a sign/);
    await expect(lenient(overdrawnUnsigned)).rejects.toThrow(
      /1 entry in EUR without CdtDbtInd and without a sign: nothing in the statement confirms it is a credit .*an entry's direction is never guessed/,
    );
    // a balance read as credit that was really a debit: the balance check fails — nothing of the file loads
    const overdrawn = camt053(
      noInd(`${bal('OPBD', '10.00')}${bal('CLBD', '40.00')}`) + ntry({ amt: '30.00', ind: 'DBIT' }),
      V08,
    );
    const mismatch = await lenient(overdrawn);
    expect(mismatch.summary.checks.filter((c) => !c.ok).map((c) => [c.expected, c.found])).toEqual([
      ['40.00', '-20.00'],
    ]);
  });
});
