import { highRiskJurisdiction } from './rules';

/** The rule as it read before its fast path: each value upper-cased and matched whole. */
function reference(account: string, counterpartyAccount: string | null, countries: readonly string[]) {
  for (const [field, value] of [
    ['counterparty_account', counterpartyAccount],
    ['account', account],
  ] as const) {
    const iban = (value ?? '').toUpperCase();
    if (/^[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}$/.test(iban) && countries.includes(iban.slice(0, 2)))
      return { field, country: iban.slice(0, 2) };
  }
  return undefined;
}

describe('highRiskJurisdiction', () => {
  const countries = ['KP', 'IR', 'MM', 'CU', 'SY'];

  it('names the IBAN of a listed country, the counterparty first, in either case', () => {
    expect(highRiskJurisdiction('DE89370400440532013000', 'IR062960000000100324200001', countries)).toEqual({
      field: 'counterparty_account',
      country: 'IR',
    });
    expect(highRiskJurisdiction('kp11ABCDEFGH12345', null, countries)).toEqual({ field: 'account', country: 'KP' });
    expect(highRiskJurisdiction('Sy11ABCDEFGH12345', '', countries)).toEqual({ field: 'account', country: 'SY' });
    expect(highRiskJurisdiction('DE89370400440532013000', 'GB29NWBK60161331926819', countries)).toBeUndefined();
    // a listed country's prefix on a value that is not an IBAN
    expect(highRiskJurisdiction('KP-not-an-iban', 'IR06', countries)).toBeUndefined();
  });

  it('agrees with upper-casing and matching each whole value on 20,000 random values, non-ASCII ones included', () => {
    let seed = 11;
    const rnd = (n: number) => {
      // an exact LCG modulo 2^31 (Math.imul: the product written as a double lost its low bits)
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return Math.floor((seed / 2147483648) * n); // by its high bits: an LCG's low bits repeat with short periods
    };
    // mostly IBAN-shaped values (two letters, two digits, 8–30 letters or digits, in either case), some with a
    // character that upper-cases to two letters (ß → SS, ﬀ → FF), to another letter (ı → I) or not at all
    const plain = 'AKPISYDEkpisyde0123456789';
    const odd = ['ß', 'ﬀ', 'ı', 'é', '-', ' '];
    const value = () => {
      const head = ['KP', 'ir', 'Sy', 'ß1', 'sß', 'DE', 'ss', 'S'][rnd(8)] as string;
      const digits = rnd(6) === 0 ? 'x1' : String(rnd(100)).padStart(2, '0');
      let body = '';
      const n = rnd(5) === 0 ? rnd(40) : 8 + rnd(23);
      while (body.length < n) body += rnd(15) === 0 ? odd[rnd(odd.length)] : plain[rnd(plain.length)];
      return rnd(10) === 0 ? head.slice(0, rnd(3)) : `${head}${digits}${body}`;
    };
    const lists: string[][] = [countries, ['SS', 'KP'], [], ['kp', 'IR'], ['SSX', 'DE']];
    let hits = 0;
    for (let i = 0; i < 20_000; i++) {
      const list = lists[i % lists.length] as string[];
      const account = value();
      const counterparty = rnd(5) === 0 ? null : value();
      if (reference(account, counterparty, list)) hits++;
      expect([account, counterparty, list, highRiskJurisdiction(account, counterparty, list)]).toEqual([
        account,
        counterparty,
        list,
        reference(account, counterparty, list),
      ]);
    }
    // the values reach the rule's every branch: hits (through ß → SS among them), and misses of a listed prefix
    expect(hits).toBeGreaterThan(1000);
  });
});
