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
});
