import { formatAmount, parseAmount } from './amount';

const ok = (text: string, cur: string) => {
  const r = parseAmount(text, cur);
  if (!r.ok) throw new Error(r.message);
  return r.value;
};

describe('parseAmount', () => {
  it('parses decimal strings into exact minor units and a normalized decimal', () => {
    expect(ok('1234.5', 'USD')).toEqual({ minor: 123450n, decimal: '1234.50' });
    expect(ok('-0.01', 'EUR')).toEqual({ minor: -1n, decimal: '-0.01' });
    expect(ok('+7', 'GBP')).toEqual({ minor: 700n, decimal: '7.00' });
    expect(ok('1000', 'JPY')).toEqual({ minor: 1000n, decimal: '1000' });
    expect(ok('1.234', 'KWD')).toEqual({ minor: 1234n, decimal: '1.234' });
    expect(ok('-0.00', 'USD')).toEqual({ minor: 0n, decimal: '0.00' });
  });

  it('keeps amounts far beyond Number.MAX_SAFE_INTEGER exact', () => {
    expect(ok('98765432109876543210.99', 'USD').minor).toBe(9876543210987654321099n);
    expect(formatAmount(9876543210987654321099n, 'USD')).toBe('98765432109876543210.99');
  });

  it('rejects more decimal places than the currency allows instead of rounding', () => {
    expect(parseAmount('10.005', 'USD')).toMatchObject({ ok: false, code: 'AMOUNT_SCALE' });
    expect(parseAmount('1.5', 'JPY')).toMatchObject({ ok: false, code: 'AMOUNT_SCALE' });
    expect(ok('10.500', 'USD').decimal).toBe('10.50');
  });

  it('rejects floats in disguise, separators and garbage', () => {
    for (const bad of ['1e3', '1,000.00', ' 12', '12.', '.5', 'NaN', '', '--1', '0x10', '１２']) {
      expect(parseAmount(bad, 'USD')).toMatchObject({ ok: false, code: 'INVALID_AMOUNT' });
    }
  });

  it('gives an amount already written in its stored form back as it is, and every other form as that form', () => {
    // the stored form of many amounts in currencies of 0, 2, 3 and 4 places, and other ways to write them
    for (const [cur, exp] of [
      ['JPY', 0],
      ['EUR', 2],
      ['KWD', 3],
      ['CLF', 4],
    ] as const) {
      for (const minor of [0n, 1n, -1n, 5n, 10n, 99n, -100n, 12345n, 10n ** 20n, -(10n ** 21n) + 7n]) {
        const stored = formatAmount(minor, cur);
        expect(ok(stored, cur)).toEqual({ minor, decimal: stored });
        const [int, frac = ''] = stored.replace('-', '').split('.');
        const sign = minor < 0n ? '-' : '';
        for (const other of [`${sign}0${int}${exp ? `.${frac}` : ''}`, `${sign}${int}.${frac}0`, `+${stored}`])
          if (!other.startsWith('+-')) expect(ok(other, cur)).toEqual({ minor, decimal: stored });
      }
      expect(ok(`-${formatAmount(0n, cur)}`, cur)).toEqual({ minor: 0n, decimal: formatAmount(0n, cur) });
    }
    expect(parseAmount('12345678901234567890123.00', 'EUR')).toMatchObject({ ok: false, code: 'INVALID_AMOUNT' });
    expect(parseAmount('1234567890123456789012.00', 'EUR')).toMatchObject({ ok: true });
  });
});
