import fs from 'node:fs';
import { once } from 'node:events';
import { createRandom } from './random';

export interface AchGenerateOptions {
  entries: number;
  /** Entries per batch (default 5,000). */
  batchSize?: number;
  seed?: number;
  /** SEC codes cycled over the batches (default PPD, CCD, WEB). */
  secCodes?: readonly string[];
  /** Records without line breaks (94-character records back to back). */
  noLineBreaks?: boolean;
}

export interface GeneratedAch {
  entries: number;
  batches: number;
  bytes: number;
  /** Total debit and credit in cents. */
  debitCents: bigint;
  creditCents: bigint;
}

const ODFI = '12104288';
const RDFIS = ['23138010', '02100002', '09100001', '07640125', '12100035', '02600959', '03130001', '11100061'];
const NAMES = [
  'JANE DOE',
  'JOHN SMITH',
  'MARIA GARCIA',
  'WEI ZHANG',
  'AMIT PATEL',
  'OLGA IVANOVA',
  'ACME PAYROLL',
  'CONTOSO LLC',
];

const checkDigit = (eight: string) => {
  const w = [3, 7, 1, 3, 7, 1, 3, 7];
  let s = 0;
  for (let i = 0; i < 8; i++) s += Number(eight[i]) * (w[i] as number);
  return (10 - (s % 10)) % 10;
};
const n = (v: number | bigint, width: number) => String(v).padStart(width, '0');
const a = (v: string, width: number) => v.slice(0, width).padEnd(width, ' ');

/**
 * Writes a deterministic, valid NACHA file (balanced batch and file controls, block padding) with
 * `entries` entry records, streaming: memory does not grow with the size.
 */
export async function generateAchFile(file: string, options: AchGenerateOptions): Promise<GeneratedAch> {
  const r = createRandom(options.seed ?? 20261128);
  const batchSize = options.batchSize ?? 5000;
  const secs = options.secCodes ?? ['PPD', 'CCD', 'WEB'];
  const eol = options.noLineBreaks ? '' : '\n';
  const out = fs.createWriteStream(file);
  let buf = '';
  let bytes = 0;
  let records = 0;
  const write = async (rec: string) => {
    if (rec.length !== 94) throw new Error(`generator bug: record of ${rec.length} characters`);
    records++;
    buf += rec + eol;
    if (buf.length > 1 << 16) {
      bytes += buf.length;
      if (!out.write(buf)) await once(out, 'drain');
      buf = '';
    }
  };
  await write(
    `101 ${ODFI}${checkDigit(ODFI)} ${'231380104'}2611280900A094101${a('FEDERAL RESERVE BANK', 23)}${a('STRONGROOM TEST BANK', 23)}${a('', 8)}`,
  );
  let fileHash = 0n;
  let fileDebit = 0n;
  let fileCredit = 0n;
  let fileCount = 0;
  let batches = 0;
  for (let done = 0; done < options.entries;) {
    batches++;
    const sec = secs[(batches - 1) % secs.length] as string;
    const size = Math.min(batchSize, options.entries - done);
    await write(
      `5200${a('STRONGROOM CO', 16)}${a('', 20)}${'1231380104'}${sec}${a('PAYMENT', 10)}${a('261128', 6)}261130   1${ODFI}${n(batches, 7)}`,
    );
    let hash = 0n;
    let debit = 0n;
    let credit = 0n;
    for (let i = 0; i < size; i++) {
      const rdfi = r.pick(RDFIS);
      const isCredit = r.next() < 0.5;
      const cents = BigInt(r.int(1, 1_999_999)); // file totals are 12 digits: keep 1M entries within $9,999,999,999.99 a side
      const trace = `${ODFI}${n(done + i + 1, 7)}`;
      await write(
        `6${isCredit ? '22' : '27'}${rdfi}${checkDigit(rdfi)}${a(String(r.int(10_000_000, 999_999_999)), 17)}${n(cents, 10)}${a(`ID${done + i + 1}`, 15)}${a(r.pick(NAMES), 22)}  0${trace}`,
      );
      hash += BigInt(rdfi);
      if (isCredit) credit += cents;
      else debit += cents;
    }
    await write(
      `8200${n(size, 6)}${n(hash % 10_000_000_000n, 10)}${n(debit, 12)}${n(credit, 12)}${'1231380104'}${a('', 19)}${a('', 6)}${ODFI}${n(batches, 7)}`,
    );
    fileHash += hash;
    fileDebit += debit;
    fileCredit += credit;
    fileCount += size;
    done += size;
  }
  const total = records + 1;
  await write(
    `9${n(batches, 6)}${n(Math.ceil(total / 10), 6)}${n(fileCount, 8)}${n(fileHash % 10_000_000_000n, 10)}${n(fileDebit, 12)}${n(fileCredit, 12)}${a('', 39)}`,
  );
  while (records % 10 !== 0) await write('9'.repeat(94));
  bytes += buf.length;
  out.end(buf);
  await once(out, 'finish');
  return { entries: fileCount, batches, bytes, debitCents: fileDebit, creditCents: fileCredit };
}
