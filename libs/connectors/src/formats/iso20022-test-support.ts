// Helpers shared by the ISO 20022 reader tests (not a test file itself): byte streams, a verdict, and
// builders of small camt and pain.001 documents.
import fs from 'node:fs';
import { readIso20022 } from './iso20022';
import { FormatError } from './types';
import { readAll } from './reader-test-support';

export async function* fileBytes(file: string, chunkBytes = 4096): AsyncGenerator<Buffer> {
  yield* fs.createReadStream(file, { highWaterMark: chunkBytes });
}

export async function* textBytes(text: string, chunkBytes = 1 << 16): AsyncGenerator<Buffer> {
  const buf = Buffer.from(text, 'utf8');
  for (let i = 0; i < buf.length; i += chunkBytes) yield buf.subarray(i, i + chunkBytes);
}

export const read = (input: AsyncIterable<Buffer>) => readAll(readIso20022, input);

/** "reconciled (n checks)", "not reconciled: <check> expected X found Y; …" or "rejected: <error>". */
export async function verdict(input: AsyncIterable<Buffer>): Promise<string> {
  try {
    const { summary } = await read(input);
    const failed = summary.checks.filter((c) => !c.ok);
    if (!failed.length) return `reconciled (${summary.checks.length} checks)`;
    return `not reconciled: ${failed.map((c) => `${c.name} expected ${c.expected} found ${c.found}`).join('; ')}`;
  } catch (err) {
    if (err instanceof FormatError) return `rejected: ${err.message}`;
    throw err;
  }
}

export interface Ntry {
  amt: string;
  ind: 'CRDT' | 'DBIT';
  sts?: string;
  valDt?: string;
  ref?: string;
  btch?: string;
  txAmts?: string[];
}

export const CAMT = (n: string): string => `urn:iso:std:iso:20022:tech:xsd:camt.${n}`;

export function bal(code: string, amt: string, ind = 'CRDT', date = '2024-03-01', ccy = 'EUR'): string {
  return `<Bal><Tp><CdOrPrtry><Cd>${code}</Cd></CdOrPrtry></Tp><Amt Ccy="${ccy}">${amt}</Amt><CdtDbtInd>${ind}</CdtDbtInd><Dt><Dt>${date}</Dt></Dt></Bal>`;
}

export function ntry(e: Ntry): string {
  const tx = (e.txAmts ?? []).map((a) => `<TxDtls><Amt Ccy="EUR">${a}</Amt></TxDtls>`).join('');
  const details = e.btch !== undefined || e.txAmts ? `<NtryDtls>${e.btch ?? ''}${tx}</NtryDtls>` : '';
  return (
    `<Ntry><Amt Ccy="EUR">${e.amt}</Amt><CdtDbtInd>${e.ind}</CdtDbtInd><Sts>${e.sts ?? 'BOOK'}</Sts><BookgDt><Dt>2024-03-01</Dt></BookgDt>` +
    `<ValDt><Dt>${e.valDt ?? '2024-03-01'}</Dt></ValDt>${e.ref ? `<AcctSvcrRef>${e.ref}</AcctSvcrRef>` : ''}${details}</Ntry>\n`
  );
}

export function camt053(body: string, ns = CAMT('053.001.02'), tag = 'Stmt', root = 'BkToCstmrStmt'): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="${ns}"><${root}><GrpHdr><MsgId>M1</MsgId><CreDtTm>2024-03-02T06:00:00</CreDtTm></GrpHdr>\n` +
    `<${tag}><Id>S1</Id><CreDtTm>2024-03-02T06:00:00</CreDtTm><Acct><Id><IBAN>DE02100100100006820101</IBAN></Id></Acct>\n${body}</${tag}></${root}></Document>`
  );
}

export const camt054 = (body: string): string => camt053(body, CAMT('054.001.04'), 'Ntfctn', 'BkToCstmrDbtCdtNtfctn');

export function pain001(grpHdr: string, pmtInf: string, txs: string[]): string {
  const tx = txs.map(
    (amt, i) =>
      `<CdtTrfTxInf><PmtId><EndToEndId>${i === 0 ? 'NOTPROVIDED' : `E2E-${i + 1}`}</EndToEndId></PmtId><Amt><InstdAmt Ccy="EUR">${amt}</InstdAmt></Amt>` +
      `<Cdtr><Nm>Creditor ${i + 1}</Nm></Cdtr><CdtrAcct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></CdtrAcct></CdtTrfTxInf>\n`,
  );
  return (
    `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn><GrpHdr><MsgId>MSG-9</MsgId>${grpHdr}</GrpHdr>\n` +
    `<PmtInf><PmtInfId>P-1</PmtInfId>${pmtInf}<ReqdExctnDt><Dt>2024-04-02</Dt></ReqdExctnDt><DbtrAcct><Id><IBAN>DE02100100100006820101</IBAN></Id></DbtrAcct>\n` +
    `${tx.join('')}</PmtInf></CstmrCdtTrfInitn></Document>`
  );
}

export async function rejection(xml: string, chunkBytes = 5): Promise<FormatError> {
  try {
    await read(textBytes(xml, chunkBytes));
  } catch (err) {
    if (err instanceof FormatError) return err;
    throw err;
  }
  throw new Error('the document was not rejected');
}
