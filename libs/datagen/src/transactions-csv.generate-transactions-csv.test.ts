import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateTransactionsCsv, ibanFor, luhnComplete } from './index';

describe('generateTransactionsCsv', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'datagen-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is deterministic for a seed and reports the bad rows it wrote', async () => {
    const a = path.join(dir, 'a.csv');
    const b = path.join(dir, 'b.csv');
    const ra = await generateTransactionsCsv(a, { rows: 5000, seed: 7 });
    await generateTransactionsCsv(b, { rows: 5000, seed: 7 });
    expect(fs.readFileSync(a)).toEqual(fs.readFileSync(b));
    expect(ra.bad).toBeGreaterThan(20);
    expect(ra.bad).toBeLessThan(100);
    expect(ra.good + ra.bad).toBe(5000);
    expect(ra.bytes).toBe(fs.statSync(a).size);
    expect(fs.readFileSync(a, 'utf8').trimEnd().split('\n')).toHaveLength(5001);
  });

  it('writes the same file as before its options for busy and payables accounts were added', async () => {
    const a = path.join(dir, 'default.csv');
    await generateTransactionsCsv(a, { rows: 2000, seed: 7 });
    expect(crypto.createHash('sha256').update(fs.readFileSync(a)).digest('hex')).toBe(
      '9e9c8f5da1f9096a7ff1b043073ada128d974a783d65f5c1d7127bb355eaac3d',
    );
  });

  it('puts the rows on a few accounts within a day, mostly debits, when asked (a payables account)', async () => {
    const a = path.join(dir, 'payables.csv');
    await generateTransactionsCsv(a, {
      rows: 2000,
      seed: 7,
      badRatio: 0,
      accountsPerCountry: 1,
      spanHours: 24,
      debitShare: 0.95,
    });
    const rows = fs
      .readFileSync(a, 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1)
      // the fields, a quoted one (a name with a comma) whole
      .map((l) => [...l.matchAll(/("(?:[^"]|"")*"|[^,]*)(?:,|$)/g)].map((m) => m[1] as string));
    expect(new Set(rows.map((r) => r[1])).size).toBeLessThanOrEqual(5);
    const times = rows.map((r) => Date.parse(r[6] as string));
    expect(Math.max(...times) - Date.UTC(2026, 9, 1)).toBeLessThanOrEqual(24 * 3_600_000);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(Date.UTC(2026, 9, 1));
    const debits = rows.filter((r) => (r[4] as string).startsWith('-')).length / rows.length;
    expect(debits).toBeGreaterThan(0.9);
    expect(debits).toBeLessThan(0.99);
  });

  it('draws counterparty names from as many distinct made-up names as asked, every other column as by default', async () => {
    const a = path.join(dir, 'names-default.csv');
    const b = path.join(dir, 'names-many.csv');
    await generateTransactionsCsv(a, { rows: 3000, seed: 7, badRatio: 0 });
    await generateTransactionsCsv(b, { rows: 3000, seed: 7, badRatio: 0, distinctNames: 1000 });
    const fields = (file: string) =>
      fs
        .readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => [...l.matchAll(/("(?:[^"]|"")*"|[^,]*)(?:,|$)/g)].map((m) => m[1] as string));
    const [before, after] = [fields(a), fields(b)];
    expect(new Set(before.map((r) => r[3])).size).toBe(10);
    const names = new Set(after.map((r) => r[3]));
    expect(names.size).toBeGreaterThan(900); // 3,000 draws from 1,000 names leave few unseen
    expect(names.size).toBeLessThanOrEqual(1000);
    // only the name column differs
    expect(after.map((r) => [...r.slice(0, 3), ...r.slice(4)])).toEqual(
      before.map((r) => [...r.slice(0, 3), ...r.slice(4)]),
    );
  });

  it('builds valid IBAN check digits and Luhn numbers', () => {
    expect(ibanFor('DE', '370400440532013000')).toBe('DE89370400440532013000');
    expect(ibanFor('GB', 'NWBK60161331926819')).toBe('GB29NWBK60161331926819');
    expect(luhnComplete('411111111111111')).toBe('4111111111111111');
  });
});
