import { amlCandidates, DEFAULT_AML_CONFIG, resolveAmlConfig, type AmlConfig } from './rules';

const EXP: Record<string, number> = { USD: 2, EUR: 2, JPY: 0, KWD: 3, XAU: 2 };
const row = (recordNo: number, minor: bigint, currency: string) => ({
  recordNo,
  minor,
  exponent: EXP[currency] as number,
  currency,
});

/**
 * The reference: each rule's own predicate (as its SQL states it), in exact decimals scaled to 10^-40.
 * A row is a candidate when any per-row rule could match it.
 */
function reference(r: ReturnType<typeof row>, c: AmlConfig): boolean {
  const S = 40;
  const scaled = (text: string) => {
    const [int = '0', frac = ''] = text.replace('-', '').split('.');
    return (text.startsWith('-') ? -1n : 1n) * BigInt(int + frac.padEnd(S, '0'));
  };
  const abs = (r.minor < 0n ? -r.minor : r.minor) * 10n ** BigInt(S - r.exponent);
  const round = abs >= scaled(c.roundAmount.minAmount);
  const rate = c.fxToUsd[r.currency];
  if (rate === undefined) return round;
  const usd = (abs * scaled(rate)) / 10n ** BigInt(S); // exact: every input has at most a few decimals
  const th = scaled(c.largeTransactionUsd);
  const lo = (th * BigInt(100 - c.structuring.bandPercent)) / 100n;
  // RAPID_MOVEMENT also needs a debit; the candidates do not look at the sign
  return round || usd >= th || usd >= lo || usd >= scaled(c.rapidMovement.minAmountUsd);
}

describe('amlCandidates', () => {
  it('keeps the rows at each boundary and drops those just below', () => {
    const c = resolveAmlConfig(); // large 10,000 USD, band 10 % (9,000), rapid 5,000 USD, round 5,000 in the row's currency
    const got = amlCandidates(
      [
        row(1, 500_000n, 'USD'), //   5,000.00 USD: rapid minimum and round minimum
        row(2, 499_999n, 'USD'), //   4,999.99 USD
        row(3, -500_000n, 'USD'), // a 5,000.00 debit
        row(4, 462_963n, 'EUR'), //   4,629.63 EUR = 5,000.0004 USD at 1.08
        row(5, 462_962n, 'EUR'), //   4,629.62 EUR = 4,999.9896 USD
        row(6, 5_000n, 'JPY'), //       5,000 JPY: the round minimum in its own currency (33.50 USD)
        row(7, 4_999n, 'JPY'), //     4,999 JPY: under every floor
        row(8, 1_538_462n, 'KWD'), //  1,538.462 KWD = 5,000.0015 USD at 3.25
        row(9, 1_538_461n, 'KWD'), //  1,538.461 KWD = 4,999.99825 USD
        row(10, 900_000_000n, 'XAU'), // no USD rate, but 9,000,000.00 >= the round minimum
        row(11, 100n, 'XAU'), //       no USD rate, small
      ],
      c,
    );
    expect(got).toEqual([1, 3, 4, 6, 8, 10]);
  });

  it('is a superset of every per-row rule on 50,000 random rows and configurations', () => {
    let seed = 7;
    const rnd = (n: number) => {
      // an exact LCG modulo 2^31 (Math.imul: the product written as a double lost its low bits)
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      return Math.floor((seed / 2147483648) * n); // by its high bits: an LCG's low bits repeat with short periods
    };
    const configs: AmlConfig[] = [
      DEFAULT_AML_CONFIG,
      resolveAmlConfig({
        largeTransactionUsd: '3000.5',
        structuring: { bandPercent: 40 },
        rapidMovement: { minAmountUsd: '12000' },
        roundAmount: { minAmount: '250.25' },
      }),
      resolveAmlConfig({
        largeTransactionUsd: '100',
        structuring: { bandPercent: 0 },
        rapidMovement: { minAmountUsd: '0.01' },
        fxToUsd: { JPY: '0.00671234' },
      }),
    ];
    for (const c of configs) {
      const rows = Array.from({ length: 50_000 / configs.length }, (_, i) => {
        const currency = ['USD', 'EUR', 'JPY', 'KWD', 'XAU'][rnd(5)] as string;
        const minor = BigInt(rnd(10 ** (1 + rnd(9)))) * (rnd(3) === 0 ? -1n : 1n);
        return row(i, minor, currency);
      });
      const got = new Set(amlCandidates(rows, c));
      for (const r of rows) if (reference(r, c)) expect([r.recordNo, got.has(r.recordNo)]).toEqual([r.recordNo, true]);
    }
  });

  it('gives no prefilter when a parameter is not a plain decimal or the band is not whole', () => {
    expect(amlCandidates([row(1, 1n, 'USD')], resolveAmlConfig({ largeTransactionUsd: '1e4' }))).toBeUndefined();
    expect(amlCandidates([row(1, 1n, 'USD')], resolveAmlConfig({ structuring: { bandPercent: 2.5 } }))).toBeUndefined();
    expect(amlCandidates([row(1, 1n, 'USD')], resolveAmlConfig({ fxToUsd: { USD: '.5' } }))).toBeUndefined();
  });
});
