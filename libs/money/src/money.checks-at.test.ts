import { isCanonicalAmountAt, parseAmount } from './amount';
import { currencyAt, currencyExponent, isCurrency } from './currencies';
import { isCanonicalTimestampAt, isDateAt, parseDate, parseTimestamp } from './dates';
import { isCompactIbanAt, isIban } from './check-digits';

// The byte checks decide, without a string, what the string functions decide: each is compared with its string
// counterpart on values at the edges of its rule, placed inside a larger buffer (offsets other than 0).
const at = (text: string): [Buffer, number, number] => {
  const buf = Buffer.from(`«${text}»`, 'utf8');
  const from = Buffer.byteLength('«');
  return [buf, from, buf.length - Buffer.byteLength('»')];
};

describe('the byte checks agree with the string functions', () => {
  it('isCanonicalAmountAt: true exactly when parseAmount gives the text back as its decimal', () => {
    const amounts = [
      '12.34',
      '-12.34',
      '0.00',
      '-0.00',
      '0',
      '-0',
      '12.3',
      '12',
      '012.34',
      '1e5',
      '1,000.00',
      ' 12.34',
      '12.340',
      '1234567890123456789012.00',
      '12345678901234567890123.00',
      '14',
      '-203.828',
      '.5',
      '5.',
      '',
      '-',
      '+1.00',
      '1.000',
      '0.001',
      '00',
      '9.99',
      '１２.３４',
    ];
    for (const currency of ['EUR', 'JPY', 'KWD', 'CLF']) {
      const exp = currencyExponent(currency) as number;
      for (const a of amounts) {
        const r = parseAmount(a, currency);
        expect({ a, currency, fast: isCanonicalAmountAt(...at(a), exp) }).toEqual({
          a,
          currency,
          fast: r.ok && r.value.decimal === a,
        });
      }
    }
  });

  it('isDateAt and isCanonicalTimestampAt: true exactly when parseDate / parseTimestamp give the text back', () => {
    const dates = [
      '2026-10-13',
      '2024-02-29',
      '2023-02-29',
      '2026-13-01',
      '2026-00-10',
      '2026-10-32',
      '0000-01-01',
      '0001-01-01',
      '20261013',
      '2026-10-13 ',
      '2026/10/13',
      '2026-1-013',
      '9999-12-31',
      '2026-04-31',
    ];
    for (const d of dates) {
      const r = parseDate(d);
      expect({ d, fast: isDateAt(...at(d)) }).toEqual({ d, fast: r.ok && r.value === d });
    }
    const stamps = [
      '2026-10-12T07:15:20Z',
      '2026-02-30T00:00:00Z',
      '2026-10-12 07:15:20',
      '2026-10-12T07:15:20+02:00',
      '2026-10-12',
      '2026-10-12T24:00:00Z',
      '0000-01-01T00:00:00Z',
      '0001-01-01T00:00:00Z',
      '2026-10-12T07:15:20.5Z',
      '2024-02-29T23:59:59Z',
      '2026-10-12T07:60:00Z',
      '2026-10-12T07:15:60Z',
      '2026-10-12t07:15:20z',
      '2026-10-12T07:15:20ZZ',
      '2026-10-12T07-15-20Z',
      '9999-12-31T23:59:59Z',
    ];
    for (const t of stamps) {
      const r = parseTimestamp(t);
      expect({ t, fast: isCanonicalTimestampAt(...at(t)) }).toEqual({ t, fast: r.ok && r.value === t });
    }
  });

  it('currencyAt: the code isCurrency knows, written exactly', () => {
    for (const c of ['EUR', 'JPY', 'KWD', 'CLF', 'XAU', 'eur', 'EURO', 'EU', '', ' EU', 'ZWG', 'USD']) {
      expect({ c, fast: currencyAt(...at(c)) }).toEqual({ c, fast: isCurrency(c) ? c : undefined });
    }
  });

  it('isCompactIbanAt: a compact IBAN of its country’s length with a valid checksum', () => {
    const ibans = [
      'DE89370400440532013000',
      'DE89370400440532013001',
      'de89370400440532013000',
      'DE8937040044053201300',
      'GB82WEST12345698765432',
      'NL91ABNA0417164300',
      'FR1420041010050500013M02606',
      'DE89 3704 0044 0532 0130 00',
      'XX89370400440532013000',
      'MT84MALT011000012345MTLCAST001S',
      'NO9386011117947',
      'DE89370400440532013000X',
      'D189370400440532013000',
      'DEA9370400440532013000',
    ];
    for (const i of ibans) {
      const compact = /^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/.test(i) && isIban(i);
      expect({ i, fast: isCompactIbanAt(...at(i)) }).toEqual({ i, fast: compact });
    }
  });
});
