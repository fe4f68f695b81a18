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
