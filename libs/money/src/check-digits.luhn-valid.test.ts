import { ibanChecksumValid, isIban, luhnValid } from './check-digits';

describe('check digits', () => {
  it('accepts card numbers that pass the Luhn check and refuses one changed digit', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('5500005555555559')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });

  it("checks an IBAN's mod-97 digits", () => {
    expect(ibanChecksumValid('DE89370400440532013000')).toBe(true);
    expect(ibanChecksumValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanChecksumValid('DE89370400440532013001')).toBe(false);
  });

  it("takes an IBAN only at its country's registered length: a longer mod-97 hit is chance", () => {
    expect(isIban('DE89370400440532013000')).toBe(true);
    expect(isIban('NO9386011117947')).toBe(true);
    // a German IBAN followed by the first digits of a card number that happen to pass mod 97 again
    const longer = Array.from({ length: 1000 }, (_, i) => `DE89370400440532013000${String(i).padStart(3, '0')}`).find(
      (s) => ibanChecksumValid(s),
    ) as string;
    expect(longer).toBeDefined();
    expect(isIban(longer)).toBe(false);
    // two letters of no IBAN country make no IBAN, whatever mod 97 says
    const unlisted = Array.from({ length: 100 }, (_, i) => `NV12411111111111${String(i).padStart(2, '0')}`).find((s) =>
      ibanChecksumValid(s),
    ) as string;
    expect(unlisted).toBeDefined();
    expect(isIban(unlisted)).toBe(false);
  });
});
