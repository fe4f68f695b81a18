// What a file most likely is when its header breaks its format: read with that format's reader, the real
// error is named — instead of "a CSV" or "not a recognised bank format".
import { detectFormat, likelyFormat } from './detect';
import { inspectFile } from './inspect';
import { makeTempDir, writeTempFile } from '@strongroom/testing';

const ACH_HEADER = '101 231380104 1210428821906240000A094101Federal Reserve Bank   My Bank Name                   ';
const ACH_BATCH = '5225Name on Account                     121042882 PPDREG.SALARY      190625   1121042880000001';

describe('likelyFormat', () => {
  it('names the bank format a damaged file has the shape of', () => {
    const b = (s: string) => Buffer.from(s, 'latin1');
    // BAI2 whose 01 record has an 8-digit date: not a CSV
    const bai2 = '01,SENDER,RECEIVER,20240301,0800,1,,,2/\n02,RECEIVER,BANK,1,240301,,EUR,2/\n98,0,1,2/\n99,0,1,4/\n';
    expect(detectFormat(b(bai2))).toBe('csv');
    expect(likelyFormat(b(bai2))).toBe('bai2');
    // NACHA with a damaged creation date, with and without line breaks
    const ach = `${ACH_HEADER.replace('190624', '19X624')}\n${ACH_BATCH}\n`;
    expect(detectFormat(b(ach))).toBe('unknown');
    expect(likelyFormat(b(ach))).toBe('ach');
    expect(likelyFormat(b(ach.replace(/\n/g, '')))).toBe('ach');
    // SWIFT with its reference but no other tag in the head; ISO 20022 of a version this reader does not know
    expect(likelyFormat(b(':20:REF\n:99:X\n'))).toBe('mt940');
    expect(likelyFormat(b('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.1x"><X/></Document>'))).toBe(
      'camt053',
    );
    // plain data stays plain data
    for (const plain of ['id,amount\n1,2.00\n', '01,02,03\n04,05,06\n', '{"a":1}\n', 'hello\n'])
      expect(likelyFormat(b(plain))).toBeNull();
  });

  it('makes inspect report the real error of the likely format, and --format the format it was asked for', async () => {
    const dir = makeTempDir();
    const bai2 = writeTempFile(
      dir,
      'statement.txt',
      '01,SENDER,RECEIVER,20240301,0800,1,,,2/\n02,RECEIVER,BANK,1,240301,,EUR,2/\n98,0,1,2/\n99,0,1,4/\n',
    );
    const r = await inspectFile(bai2);
    expect(r.format).toBe('bai2');
    expect(r.rejected?.message).toMatch(/creation date|date/i);
    expect(r.reason).not.toContain('not a recognised bank format');
    const ach = writeTempFile(dir, 'broken.ach', `${ACH_HEADER.replace('190624', '19X624')}\n${ACH_BATCH}\n`);
    const a = await inspectFile(ach);
    expect(a.format).toBe('ach');
    expect(a.rejected?.message).toContain('file creation date "19X624" (positions 24–29) is not YYMMDD');
    const forced = await inspectFile(ach, { format: 'bai2' });
    expect(forced.format).toBe('bai2');
    expect(forced.reconciled).toBe(false);
  });
});
