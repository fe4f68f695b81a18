import { redactPans } from './index';

describe('redactPans', () => {
  it('masks a Luhn-valid card number to first six and last four digits', () => {
    expect(redactPans('card 4111111111111111 declined')).toBe('card 411111******1111 declined');
  });

  it('masks numbers written with spaces or dashes', () => {
    expect(redactPans('pan=5500-0000-0000-0004;')).toBe('pan=550000******0004;');
    expect(redactPans('4111 1111 1111 1111')).toBe('411111******1111');
  });

  it('leaves numbers alone that are not Luhn-valid or have the wrong length', () => {
    expect(redactPans('order 4111111111111112')).toBe('order 4111111111111112');
    expect(redactPans('amount 123456789012')).toBe('amount 123456789012');
  });
});

describe('redactPans, edge cases a scanner must not miss', () => {
  it('finds a PAN next to another number and with repeated separators', () => {
    expect(redactPans('refund 1 4111111111111111')).toBe('refund 1 411111******1111');
    expect(redactPans('4111  1111  1111  1111')).toBe('411111******1111');
    expect(redactPans('x4111111111111111y')).toBe('x411111******1111y');
  });

  it('leaves digit strings longer than 19 digits and valid IBANs alone', () => {
    expect(redactPans('ref 41111111111111110000')).toBe('ref 41111111111111110000');
    expect(redactPans('DK5000400440116243')).toBe('DK5000400440116243');
    expect(redactPans('iban DE89 3704 0044 0532 0130 00 ok')).toBe('iban DE89 3704 0044 0532 0130 00 ok');
  });
});

describe('sensitive authentication data (PCI DSS 3.3)', () => {
  it('removes magnetic-stripe track 1 and track 2 data entirely, not just the PAN in it', () => {
    const t1 = redactPans('swipe %B4111111111111111^DOE/JOHN^28121010000000000000? ok');
    expect(t1).toBe('swipe [track data removed] ok');
    expect(redactPans('t2 ;4111111111111111=28121010000000000? end')).toBe('t2 [track data removed] end');
  });

  it('removes a card verification code written next to its label, and keeps other numbers', () => {
    expect(redactPans('card 4111 1111 1111 1111 exp 12/28 CVV: 123')).toBe('card 411111******1111 exp 12/28 CVV: [removed]');
    expect(redactPans('cvc2 4567 and security code #987')).toBe('cvc2 [removed] and security code #[removed]');
    expect(redactPans('invoice 123 paid')).toBe('invoice 123 paid');
  });
});
