// strictness: lenient for MT940: slips of the format that cannot change an amount are read with warnings —
// a DOS end-of-file mark (Ctrl-Z) between concatenated statements, a :61: line without its transaction
// type — while the strict default refuses them saying how to read them; the balances decide in both.
import { mt940Reader, readMt940 } from './mt940';
import { formatErrorOf, readAll } from './reader-test-support';
import { chunks, HEAD, statement } from './mt940-test-support';

const strict = (text: string) => readAll(readMt940, chunks(text));
const lenient = (text: string) => readAll(mt940Reader({ lenient: true }), chunks(text));

const first = statement('REF1', [
  ...HEAD,
  ':60F:C240101EUR100,00',
  ':61:2401020102C10,00NTRFNONREF',
  ':62F:C240102EUR110,00',
]);
const second = statement('REF2', [
  ':25:DE89370400440532013000',
  ':28C:8/1',
  ':60F:C240102EUR110,00',
  ':61:2401030103D5,00NMSCNONREF',
  ':62F:C240103EUR105,00',
]);

describe('readMt940 with strictness: lenient', () => {
  it('reads statements concatenated with a Ctrl-Z between them; strict refuses saying how to read them', async () => {
    const joined = `${first}\x1a${second}\x1a`;
    const err = await formatErrorOf(strict(joined));
    expect(err.message).toMatch(/control character U\+001A .*read with source\.strictness: lenient$/);
    const { entries, summary } = await lenient(joined);
    expect(entries.map((e) => e.amount)).toEqual(['10.00', '-5.00']);
    expect(summary.checks.every((c) => c.ok)).toBe(true);
    expect(summary.warnings).toContain(
      '2 DOS end-of-file mark(s) (Ctrl-Z) between statements were dropped (strictness: lenient)',
    );
  });

  it('reads a :61: without a transaction type, amounts intact; strict refuses it saying so', async () => {
    const untyped = statement('REF3', [
      ...HEAD,
      ':60F:C240101EUR100,00',
      ':61:2401020102C10,00INV-7//BANKREF',
      ':61:240103D2,50',
      ':62F:C240103EUR107,50',
    ]);
    expect((await formatErrorOf(strict(untyped))).message).toMatch(
      /expected the transaction type .* \(a line without one is read with source\.strictness: lenient\)$/,
    );
    const { entries, summary } = await lenient(untyped);
    expect(entries.map((e) => [e.amount, e.reference])).toEqual([
      ['10.00', 'INV-7'],
      ['-2.50', null],
    ]);
    expect(summary.checks.every((c) => c.ok)).toBe(true);
    expect(summary.warnings).toContain(
      '2 statement line(s) :61: without a transaction type were read (strictness: lenient)',
    );
  });

  it('refuses even leniently an untyped line whose reference begins with digits (its amount cannot be told)', async () => {
    const ambiguous = statement('REF5', [
      ...HEAD,
      ':60F:C240101EUR100,00',
      ':61:2401020102C10,00123REF',
      ':62F:C240102EUR110,00',
    ]);
    expect((await formatErrorOf(lenient(ambiguous))).message).toMatch(/does not parse/);
  });

  it('keeps the control totals mandatory: an unbalanced statement fails its check, lenient or not', async () => {
    const unbalanced = statement('REF4', [
      ...HEAD,
      ':60F:C240101EUR100,00',
      ':61:2401020102C10,00',
      ':62F:C240102EUR999,00',
    ]);
    const { summary } = await lenient(`${unbalanced}\x1a`);
    expect(summary.checks.some((c) => !c.ok)).toBe(true);
  });
});
