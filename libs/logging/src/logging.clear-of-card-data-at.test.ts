import { clearOfCardDataAt, findPans, redactPans, removeSensitiveAuthData } from './index';

// clearOfCardDataAt answers, on the bytes, "certainly unchanged by the card-data functions": whenever it says
// true, nothing is removed and no card number is found (so redactPans and tokenizeInText give the text back).
const TEXTS = [
  'Acme Corp',
  'INV-2026-12345',
  'TX000000042',
  'DE89370400440532013000',
  'DE89370400440532013001',
  'GB82WEST12345698765432',
  'FR1420041010050500013M02606',
  'DE89 3704 0044 0532 0130 00',
  'Zoë Müller',
  'Nakamura 株式会社',
  'card 4111111111111111',
  'pay 4111-1111-1111-1111 now',
  '4111 1111 1111 1111',
  '411111******1111',
  'cvv 123',
  'CVV2: 1234',
  'Card Security Code 999',
  'security  code 999',
  'CID#1234',
  'csc 12',
  'x^y 123',
  'B123456789012^DOE^^^',
  '123456789012===',
  'a=b 456',
  '１２３４５６７８９０１２３',
  '٤١١١١١١١١١١١١١١١',
  '123456789012',
  '1234567890123',
  'ref 41111111111111110000',
  'Ørsted A/S 12345678901',
  'emoji 😀 12',
  '',
  'ACME CVC',
  'DE89370400440532013000CVV123',
  'a\u200b4111111111111111',
  'tel 0049 30 1234 5678 9',
];

describe('clearOfCardDataAt', () => {
  it('says true only of text the card-data functions leave exactly as it is', () => {
    for (const text of TEXTS) {
      const buf = Buffer.from(`«${text}»`, 'utf8');
      const clear = clearOfCardDataAt(buf, Buffer.byteLength('«'), buf.length - Buffer.byteLength('»'));
      if (clear) {
        expect({ text, removed: removeSensitiveAuthData(text) }).toEqual({ text, removed: text });
        expect({ text, found: findPans(text) }).toEqual({ text, found: [] });
        expect(redactPans(text)).toBe(text);
      }
    }
  });

  it('says true of the common values (names, references, ids, compact IBANs)', () => {
    const common = [
      'Acme Corp',
      'INV-2026-12345',
      'TX000000042',
      'DE89370400440532013000',
      'GB82WEST12345698765432',
      'Zoë Müller',
      'Nakamura 株式会社',
      'ACME CVC',
      'a=b',
      '123456789012',
    ];
    const said = common.map((text) => clearOfCardDataAt(Buffer.from(text), 0, Buffer.byteLength(text)));
    expect(said).toEqual(common.map(() => true));
  });

  it('is not certain of card numbers, labelled codes, track data or many digits of any script', () => {
    const doubtful = [
      'card 4111111111111111',
      'cvv 123',
      'Card Security Code 999',
      'x^y 123',
      '123456789012===',
      '１２３４５６７８９０１２３',
      'DE89370400440532013001',
      'DE89 3704 0044 0532 0130 00',
      '1234567890123',
    ];
    const said = doubtful.map((text) => clearOfCardDataAt(Buffer.from(text), 0, Buffer.byteLength(text)));
    expect(said).toEqual(doubtful.map(() => false));
  });
});
