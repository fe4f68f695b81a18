import path from 'node:path';
import { corpusDir, makeTempDir, runCli, writeTempFile } from '@strongroom/testing';

const file = (format: string, name: string) => path.join(corpusDir(format), name);
const json = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, unknown>;

/** `strongroom inspect <file> [--json]` as scripts use it (docs/design.md §8): the real CLI, real corpus files, nothing loaded. */
describe('strongroom inspect', () => {
  it('detects each bank format and says whether the file reconciles (exit 0) or why not (exit 1)', async () => {
    const cases: [string, string, string, boolean][] = [
      ['ach', 'ppd-debit.ach', 'ach', true],
      ['ach', '20110805A.ach', 'ach', false],
      ['camt053', 'camt053.v2.multi.statement.xml', 'camt053', true],
      ['camt053', 'camt053.v2.minimal.xml', 'camt053', false],
      ['camt054', 'camt054.v8.xml', 'camt054', false],
      ['camt054', '200519_camt054-ESR-ASR_P_CH2909000000250094239_1110092704_0_2019042500372179.xml', 'camt054', true],
      ['mt940', 'mBank/mt942.sta', 'mt942', true],
      ['pain001', 'pain.001.003.03.xml', 'pain001', true],
      ['pain001', 'musterfile_pain.001_Nov2020.xml', 'pain001', false],
      ['mt940', 'jejik/generic.sta', 'mt940', true],
      ['bai2', 'example.bai2', 'bai2', true],
      ['bai2', 'sample4-continuations-newline-delimited.txt', 'bai2', false],
    ];
    for (const [dir, name, format, reconciled] of cases) {
      const r = await runCli(['inspect', file(dir, name), '--json']);
      const out = json(r.stdout);
      expect({ name, code: r.code, format: out.format, reconciled: out.reconciled }).toEqual({
        name,
        code: reconciled ? 0 : 1,
        format,
        reconciled,
      });
      if (reconciled) expect(out.reason).toBeNull();
      else expect(out.reason).toEqual(expect.stringMatching(/declared .+, computed |rejected at /));
    }
  }, 120_000);

  it('prints counts, control totals and the precise reason for people', async () => {
    const r = await runCli(['inspect', file('ach', '20110805A.ach')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^format +ach \(NACHA, utf-8\)$/m);
    expect(r.stdout).toMatch(/^ {2}file batch count +5$/m);
    expect(r.stdout).toMatch(
      /FAILED {2}file batch count at line \d+ \(file control\): declared 000005, computed 000004/,
    );
    expect(r.stdout).toMatch(/^verdict +NOT ACCEPTED: /m);
  }, 60_000);

  it('rejects a file that breaks its format with where and what, and tells a CSV from a bank file', async () => {
    const bad = await runCli(['inspect', file('ach', 'ppd-debit-invalid-entryDetail-checkDigit.ach'), '--json']);
    expect(bad.code).toBe(1);
    expect(json(bad.stdout)).toMatchObject({
      format: 'ach',
      reconciled: false,
      reason: expect.stringMatching(/^rejected at line 3: RDFI check digit "5"/),
    });
    const dir = makeTempDir();
    const csv = await runCli(['inspect', writeTempFile(dir, 'x.csv', 'id,amount\n1,2.00\n'), '--json']);
    expect(csv.code).toBe(1);
    expect(json(csv.stdout)).toMatchObject({
      format: 'csv',
      reconciled: false,
      reason: 'csv carries no control totals to reconcile against',
    });
    const forced = await runCli(['inspect', file('ach', 'ppd-debit.ach'), '--format', 'bai2', '--json']);
    expect(forced.code).toBe(1);
    expect(json(forced.stdout).reason).toMatch(/^rejected at /);
    const usage = await runCli(['inspect', file('ach', 'ppd-debit.ach'), '--format', 'xls']);
    expect(usage.code).toBe(2);
  }, 60_000);

  it('reads leniently with --lenient: a file header check digit is a warning there, and still refused without it', async () => {
    const fiserv = file('ach', 'FISERV-ZEROFILE-PIMRET825324_032720_110221.ach');
    const strict = json((await runCli(['inspect', fiserv, '--json'])).stdout);
    expect(strict.reason).toMatch(
      /fails the routing-number check digit \(source\.strictness: lenient reads it with a warning\)/,
    );
    const lenient = await runCli(['inspect', fiserv, '--lenient', '--json']);
    const out = json(lenient.stdout);
    expect(out.rejected).toBeNull();
    expect(out.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/immediate destination 100067554 .* check digit \(strictness: lenient\)/),
      ]),
    );
    // its control totals still decide
    expect(lenient.code).toBe(out.reconciled ? 0 : 1);
  }, 60_000);
});
