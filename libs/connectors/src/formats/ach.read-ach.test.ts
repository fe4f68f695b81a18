import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateAchFile } from '@strongroom/datagen';
import { corpusDir } from '@strongroom/testing';
import { achReader, readAch } from './ach';
import { type BankEntry, type FormatSummary } from './types';

const dir = corpusDir('ach');

async function* chunks(buf: Buffer, size = 100): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function read(buf: Buffer, reader = readAch): Promise<{ entries: BankEntry[]; summary: FormatSummary }> {
  const entries: BankEntry[] = [];
  const gen = reader(chunks(buf));
  for (;;) {
    const next = await gen.next();
    if (next.done) return { entries, summary: next.value };
    entries.push(next.value);
  }
}

type Verdict = 'reconciled' | { failed: string[] } | { rejected: RegExp };
/** Every ACH file of the corpus and what the reader must say of it (see SOURCES.md). */
const EXPECTED: Record<string, Verdict> = {
  '20110729A-invalid.ach': { rejected: /line 1: record size .* is "941"/ }, // the header is one character short, so every field is shifted
  '20110805A.ach': { failed: ['file batch count'] },
  '20180713-IAT.ach': 'reconciled',
  '20180716-IAT-A17-A18.ach': 'reconciled',
  'FISERV-ZEROFILE-PIMRET825324_032720_110221.ach': {
    rejected: /immediate destination 100067554 .* fails the routing-number check digit/,
  },
  'NACHA_SAMPLE_TEL_REVERSAL.ach': { rejected: /line 4: TEL reversal batch holds debit transaction code 27/ },
  'adv-invalidBatchEntries.ach': { rejected: /line 3: addenda record \(type 7\) outside an entry/ },
  'adv-invalidFileControl.ach': { failed: ['file entry/addenda count'] },
  'adv-noFileControl.ach': { rejected: /without a file control record/ },
  'adv.ach': 'reconciled',
  'arc-debit.ach': 'reconciled',
  'atx-read.ach': 'reconciled',
  'boc-debit.ach': 'reconciled',
  'ccd-debit.ach': 'reconciled',
  'cie-credit.ach': 'reconciled',
  'contested-return.ach': 'reconciled',
  'cor-example.ach': 'reconciled',
  'ctx-debit.ach': 'reconciled',
  'dishonored-return.ach': 'reconciled',
  'gl-debit.ach': 'reconciled',
  'iat-debit.ach': 'reconciled',
  'iat-invalidAddenda10.ach': { rejected: /immediate destination 987654321/ },
  'iat-invalidBatchControl.ach': { rejected: /immediate destination 987654321/ },
  'iat-invalidBatchHeader.ach': { rejected: /immediate destination 987654321/ },
  'iat-invalidEntryDetail.ach': { rejected: /immediate destination 987654321/ },
  'invalid-two-micro-deposits.ach': { rejected: /line 15: amount "00CCC00004"/ },
  'loan-credit.ach': 'reconciled',
  'mte-read.ach': 'reconciled',
  'nonascii-utf8.ach': { failed: ['file block count', 'file entry/addenda count'] },
  'nonascii.ach': { failed: ['file block count', 'file entry/addenda count'] },
  'pop-debit.ach': 'reconciled',
  'pos-debit.ach': 'reconciled',
  'pos-invalidEntryDetail.ach': { rejected: /line 3: control character U\+001A/ },
  'pos-invalidReturnFile.ach': { rejected: /line 4: return reason code "R96"/ },
  'ppd-debit-fixedLength.ach': 'reconciled',
  'ppd-debit-fixedLengthInvalid.ach': { rejected: /record 1 \(offset 0\)/ },
  'ppd-debit-invalid-entryDetail-checkDigit.ach': { rejected: /line 3: RDFI check digit "5" .* expected 4/ },
  'ppd-debit.ach': 'reconciled',
  'ppd-mixedDebitCredit-invalid.ach': { rejected: /immediate origin " 000TESTER"/ },
  'ppd-mixedDebitCredit.ach': 'reconciled',
  'return-PPD-custom-reason-code.ach': { rejected: /line 4: return reason code "R97"/ },
  'return-WEB.ach': 'reconciled',
  'return-no-batch-controls.ach': { rejected: /line 1: a NACHA file starts with its file header record/ },
  'return-no-file-header-control.ach': { rejected: /line 1: a NACHA file starts with its file header record/ },
  'shr-credit.ach': {
    failed: [
      'file batch count',
      'file block count',
      'file entry/addenda count',
      'file entry hash',
      'file total debit',
      'file total credit',
    ],
  },
  'shr-debit.ach': 'reconciled',
  'tel-debit.ach': 'reconciled',
  'trx-debit.ach': 'reconciled',
  'two-micro-deposits.ach': 'reconciled',
  'web-credit.ach': 'reconciled',
  'web-debit.ach': 'reconciled',
  'web-invalidNOCFile.ach': { rejected: /line 4: change code "C92"/ },
  'xck-debit.ach': 'reconciled',
};

describe('readAch', () => {
  it('gives every corpus file its expected verdict: reconciled, a named failed control total, or rejected with where and why', async () => {
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.ach'))
      .sort();
    expect(files).toEqual(Object.keys(EXPECTED).sort());
    for (const f of files) {
      const expected = EXPECTED[f] as Verdict;
      const outcome = await read(fs.readFileSync(path.join(dir, f))).then(
        ({ summary }) => ({ failed: summary.checks.filter((c) => !c.ok).map((c) => c.name) }),
        (err: Error) => ({ error: err.message }),
      );
      if (expected === 'reconciled') expect({ f, ...outcome }).toEqual({ f, failed: [] });
      else if ('failed' in expected) expect({ f, ...outcome }).toEqual({ f, failed: expected.failed });
      else
        expect({ f, error: 'error' in outcome ? outcome.error : 'accepted' }).toEqual({
          f,
          error: expect.stringMatching(expected.rejected),
        });
    }
  });

  it('maps a PPD debit to a signed canonical entry keyed by file id, batch and trace number', async () => {
    const { entries, summary } = await read(fs.readFileSync(path.join(dir, 'ppd-debit.ach')));
    expect(entries).toEqual([
      {
        txnId: '0121042882:1906240000A:0000001:121042880000001',
        account: '231380104:12345678',
        counterpartyAccount: '121042882',
        counterpartyName: 'Name on Account',
        amount: '-1000000.00',
        currency: 'USD',
        bookedAt: '2019-06-25',
        valueDate: '2019-06-25',
        reference: 'PPD REG.SALARY Receiver Account Name',
        raw: expect.stringMatching(/^62723138010412345678 {9}0100000000/),
        location: 'line 3 (batch 0000001, PPD)',
      },
    ]);
    expect(summary).toMatchObject({
      format: 'ach',
      counts: { batches: 1, entries: 1, addenda: 0, 'sec PPD': 1 },
      controlTotals: { 'file total debit': '1000000.00', 'file total credit': '0.00' },
    });
  });

  it('reads records with no line breaks exactly like the same records one per line', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ach-'));
    await generateAchFile(path.join(tmp, 'lines.ach'), { entries: 40, batchSize: 7 });
    await generateAchFile(path.join(tmp, 'fixed.ach'), { entries: 40, batchSize: 7, noLineBreaks: true });
    const lines = await read(fs.readFileSync(path.join(tmp, 'lines.ach')));
    const fixed = await read(fs.readFileSync(path.join(tmp, 'fixed.ach')), readAch);
    expect(fixed.entries.map(({ location: _l, ...e }) => e)).toEqual(lines.entries.map(({ location: _l, ...e }) => e));
    expect(fixed.summary.checks.every((c) => c.ok)).toBe(true);
    fs.rmSync(tmp, { recursive: true });
  });

  it('decodes windows-1252 and UTF-8 files to the same text', async () => {
    const utf8 = await read(fs.readFileSync(path.join(dir, 'nonascii-utf8.ach')));
    const cp1252 = await read(fs.readFileSync(path.join(dir, 'nonascii.ach')));
    expect(utf8.summary.encoding).toBe('utf-8');
    expect(cp1252.summary.encoding).toBe('windows-1252');
    expect(cp1252.entries.map((e) => e.reference)).toEqual(utf8.entries.map((e) => e.reference));
    expect(utf8.entries.some((e) => /[^\x20-\x7e]/.test(`${e.reference}${e.counterpartyName}`))).toBe(true);
  });

  it('names the batch, the total, the declared and the computed value when an amount was altered', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ach-'));
    const file = path.join(tmp, 'g.ach');
    await generateAchFile(file, { entries: 30, batchSize: 10 });
    const lines = fs.readFileSync(file, 'latin1').split('\n');
    const i = lines.findIndex((l, n) => n > 12 && l.startsWith('627'));
    const old = (lines[i] as string).slice(29, 39);
    lines[i] =
      `${(lines[i] as string).slice(0, 29)}${String(BigInt(old) + 1n).padStart(10, '0')}${(lines[i] as string).slice(39)}`;
    const { summary } = await read(Buffer.from(lines.join('\n'), 'latin1'));
    const failed = summary.checks.filter((c) => !c.ok);
    expect(failed.map((c) => c.name)).toEqual(['batch 0000002 total debit', 'file total debit']);
    expect(failed[0]?.location).toMatch(/^line \d+ \(batch control\)$/);
    expect(
      BigInt((failed[0]?.found as string).replace('.', '')) - BigInt((failed[0]?.expected as string).replace('.', '')),
    ).toBe(1n);
    fs.rmSync(tmp, { recursive: true });
  });

  it('finds the flaw each invalid IAT sample was written for once its test destination is replaced by a real routing number', async () => {
    const withRealDestination = (f: string) =>
      Buffer.from(fs.readFileSync(path.join(dir, f), 'latin1').replace(/^101 987654321/, '101 231380104'), 'latin1');
    const reasons = async (f: string) =>
      read(withRealDestination(f)).then(
        (r) =>
          r.summary.checks
            .filter((c) => !c.ok)
            .map((c) => c.name)
            .join(', '),
        (e: Error) => e.message,
      );
    expect(await reasons('iat-invalidAddenda10.ach')).toMatch(
      /IAT transaction type code "ZZZ"|IAT transaction type code/,
    );
    expect(await reasons('iat-invalidBatchHeader.ach')).toMatch(/service class code/);
    expect(await reasons('iat-invalidEntryDetail.ach')).toMatch(/transaction code/);
    expect(await reasons('iat-invalidBatchControl.ach')).toMatch(
      /^batch 0000001 ODFI identification \(batch control vs header\)/,
    );
  });

  it('reads CR-only line ends and ignores a DOS end-of-file mark after the last record', async () => {
    const lf = fs.readFileSync(path.join(dir, 'ppd-debit.ach'), 'latin1');
    const expected = await read(Buffer.from(lf, 'latin1'));
    const fixed = fs.readFileSync(path.join(dir, 'ppd-debit-fixedLength.ach'), 'latin1');
    const expectedFixed = await read(Buffer.from(fixed, 'latin1'));
    for (const [variant, want] of [
      [lf.replace(/\n/g, '\r'), expected],
      [`${lf.replace(/\n/g, '\r\n')}\r\n\u001a`, expected],
      [`${fixed}\u001a`, expectedFixed],
    ] as const) {
      const { entries, summary } = await read(Buffer.from(variant, 'latin1'), readAch);
      expect(entries.map(({ location: _l, raw: _r, ...e }) => e)).toEqual(
        want.entries.map(({ location: _l, raw: _r, ...e }) => e),
      );
      expect(summary.checks.every((c) => c.ok)).toBe(true);
    }
  });

  it('keeps a bounded list of checks however many batches a file has, folding the rest into one summary check', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ach-'));
    const file = path.join(tmp, 'many.ach');
    await generateAchFile(file, { entries: 3000, batchSize: 1 });
    const { summary } = await read(fs.readFileSync(file));
    expect(summary.counts.batches).toBe(3000);
    expect(summary.checks.length).toBeLessThan(300);
    expect(summary.checks.filter((c) => /further checks/.test(c.name))).toEqual([
      expect.objectContaining({ name: 'batch control: 20900 further checks (not listed)', ok: true }),
    ]);
    // one altered batch control deep in the file is still reported by name (failures are listed first)
    const lines = fs.readFileSync(file, 'latin1').split('\n');
    const i = lines.findIndex((l, n) => n > 2000 && l.startsWith('8'));
    lines[i] = `${(lines[i] as string).slice(0, 4)}000002${(lines[i] as string).slice(10)}`;
    const altered = await read(Buffer.from(lines.join('\n'), 'latin1'));
    expect(altered.summary.checks.filter((c) => !c.ok)).toEqual([
      expect.objectContaining({
        name: expect.stringMatching(/^batch 0000\d{3} entry\/addenda count$/),
        expected: '2',
        found: '1',
      }),
    ]);
    fs.rmSync(tmp, { recursive: true });
  });

  it('accepts a processor-specific return reason code only when asked to', async () => {
    const file = fs.readFileSync(path.join(dir, 'return-PPD-custom-reason-code.ach'));
    await expect(read(file)).rejects.toThrow('R97');
    const { entries, summary } = await read(file, achReader({ customReturnCodes: true }));
    expect(summary.checks.every((c) => c.ok)).toBe(true);
    expect(entries[0]?.reference).toMatch(/return R97 of trace/);
  });

  it('reads 100,000 generated entries with balanced controls', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ach-'));
    const file = path.join(tmp, 'big.ach');
    const gen = await generateAchFile(file, { entries: 100_000 });
    let n = 0;
    const reader = readAch(fs.createReadStream(file) as AsyncIterable<Buffer>);
    let summary: FormatSummary | undefined;
    for (;;) {
      const next = await reader.next();
      if (next.done) {
        summary = next.value;
        break;
      }
      n++;
    }
    expect(n).toBe(100_000);
    expect(summary.checks.every((c) => c.ok)).toBe(true);
    expect(summary.counts).toMatchObject({ batches: gen.batches, entries: 100_000 });
    fs.rmSync(tmp, { recursive: true });
  });
});

describe('the ACH block count, by physical 10-record blocks', () => {
  /** A reconciled corpus file's lines, with its file control's block count set to `blocks` and `filler` all-9 lines after it. */
  const variant = (blocks: number, filler: number) => {
    const lines = fs
      .readFileSync(path.join(dir, '20180713-IAT.ach'), 'latin1')
      .split(/\r?\n/)
      .filter((l) => l && !/^9{94}$/.test(l));
    const control = lines.findIndex((l) => l.startsWith('9'));
    const c = lines[control] as string;
    lines[control] = `${c.slice(0, 7)}${String(blocks).padStart(6, '0')}${c.slice(13)}`;
    return {
      buf: Buffer.from([...lines, ...Array(filler).fill('9'.repeat(94)), ''].join('\n'), 'latin1'),
      records: lines.length,
    };
  };
  const blockCheck = (s: FormatSummary) => s.checks.find((c) => c.name === 'file block count');

  it('accepts a block count that counts a block of filler beyond the last one, with a warning; refuses a wrong one', async () => {
    const { records } = variant(1, 0);
    const logical = Math.ceil(records / 10);
    const pad = logical * 10 - records;
    // the usual file: padded to a full block, counted so
    const usual = await read(variant(logical, pad).buf);
    expect(blockCheck(usual.summary)?.ok).toBe(true);
    expect(usual.summary.warnings.join()).not.toContain('filler');
    // a whole extra block of filler, counted by the file control: accepted, said
    const extra = await read(variant(logical + 1, pad + 10).buf);
    expect(blockCheck(extra.summary)).toMatchObject({ ok: true, found: String(logical + 1).padStart(6, '0') });
    expect(extra.summary.warnings.join()).toContain(`the file control counts ${logical + 1} blocks`);
    expect(extra.entries).toHaveLength(usual.entries.length);
    // a count that is neither
    const wrong = await read(variant(logical + 2, pad + 10).buf);
    expect(blockCheck(wrong.summary)?.ok).toBe(false);
  });
});
