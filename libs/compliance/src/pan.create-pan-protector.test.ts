import { createPanProtector, maskPansInText } from './index';

const key = { id: 'k1', secret: Buffer.alloc(32, 7) };

describe('createPanProtector', () => {
  it('tokenizes a valid PAN deterministically under one key and masks it to 6+4', () => {
    const p = createPanProtector(key);
    const a = p.protect('4111 1111 1111 1111');
    const b = p.protect('4111-1111-1111-1111');
    expect(a).toEqual(b);
    expect(a?.masked).toBe('411111******1111');
    expect(a?.token).toMatch(/^k1:[A-Za-z0-9_-]{43}$/);
    expect(a?.token).not.toContain('4111111111111111');
  });

  it('gives different tokens under a different key', () => {
    const other = createPanProtector({ id: 'k2', secret: Buffer.alloc(32, 9) });
    expect(other.protect('4111111111111111')?.token).not.toBe(
      createPanProtector(key).protect('4111111111111111')?.token,
    );
  });

  it('refuses values that are not PANs', () => {
    const p = createPanProtector(key);
    expect(p.protect('4111111111111112')).toBeUndefined(); // Luhn fails
    expect(p.protect('411111111111')).toBeUndefined(); // 12 digits
    expect(p.protect('4111a11111111111')).toBeUndefined();
  });

  it('replaces PANs inside identifiers with stable tokens that keep distinct ids distinct', () => {
    const p = createPanProtector(key);
    const a = p.tokenizeInText('4111111111111111');
    expect(a).toMatch(/^tok:k1:[A-Za-z0-9_-]{43}$/);
    expect(p.tokenizeInText('4111111111111111')).toBe(a);
    expect(p.tokenizeInText('5500000000000004')).not.toBe(a);
    expect(p.tokenizeInText('TX-2026-000123')).toBe('TX-2026-000123');
  });

  it('keeps a valid IBAN as it is, and still tokenizes a card number in an account that only looks like one', () => {
    const p = createPanProtector(key);
    for (const iban of ['GB82WEST12345698765432', 'CV64000300004547069110176', 'NO9386011117947']) {
      expect(p.tokenizeInText(iban)).toBe(iban);
    }
    // the IBAN shape with a wrong check digit: its 16-digit tail is a valid card number, tokenized
    const fake = 'GB00WEST4111111111111111';
    expect(p.tokenizeInText(fake)).toMatch(/^GB00WEST\s?tok:k1:/);
    expect(p.tokenizeInText(fake)).not.toContain('4111111111111111');
  });

  it('masks PANs inside free text', () => {
    expect(maskPansInText('refund to card 5500 0000 0000 0004 ok')).toBe('refund to card 550000******0004 ok');
  });
});
