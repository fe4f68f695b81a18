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

  it('builds valid IBAN check digits and Luhn numbers', () => {
    expect(ibanFor('DE', '370400440532013000')).toBe('DE89370400440532013000');
    expect(ibanFor('GB', 'NWBK60161331926819')).toBe('GB29NWBK60161331926819');
    expect(luhnComplete('411111111111111')).toBe('4111111111111111');
  });
});
