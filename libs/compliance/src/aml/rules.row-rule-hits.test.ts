import { resolveAmlConfig, rowRuleHits, type AmlConfig } from './rules';

const EXP: Record<string, number> = { USD: 2, EUR: 2, JPY: 0, KWD: 3, XAU: 2 };
/** A row as stored: its normalized decimal, and that decimal's digits as minor units. */
const row = (recordNo: number, decimal: string, currency: string) => ({
  recordNo,
  minor: BigInt(decimal.replace('.', '')),
  exponent: EXP[currency] as number,
  currency,
  decimal,
});

const config = (over: Partial<AmlConfig> = {}): AmlConfig => ({ ...resolveAmlConfig(), ...over });

describe('rowRuleHits', () => {
  it('raises LARGE_TRANSACTION at the threshold (USD equivalent, either sign) and not a cent below', () => {
    const hits = rowRuleHits(
      [
        row(1, '10000.00', 'USD'),
        row(2, '9999.99', 'USD'),
        row(3, '-10000.00', 'USD'),
        row(4, '9259.26', 'EUR'), // 10,000.0008 USD at 1.08
        row(5, '9259.25', 'EUR'), //  9,999.99 USD
        row(6, '1492538', 'JPY'), // 10,000.0046 USD at 0.0067
        row(7, '99999999.00', 'XAU'), // no rate: no USD value
      ],
      config(),
    );
    expect(hits?.filter((h) => h.rule === 'LARGE_TRANSACTION').map((h) => h.recordNo)).toEqual([1, 3, 4, 6]);
  });

  it('gives the evidence PostgreSQL prints: the stored amount, the USD equivalent rounded half away from zero, the threshold as a numeric', () => {
    const c = config({ largeTransactionUsd: '010000.50', fxToUsd: { EUR: '1.085', KWD: '3.2545', USD: '1' } });
    const hits = rowRuleHits(
      [row(1, '-10000.01', 'EUR'), row(2, '9216.13', 'EUR'), row(3, '3072.900', 'KWD'), row(4, '10000.50', 'USD')],
      c,
    );
    const large = hits?.filter((h) => h.rule === 'LARGE_TRANSACTION');
    expect(large?.map((h) => [h.recordNo, h.score, h.evidence])).toEqual([
      // 10,850.01085 → 10850.01
      [1, 60, { amount: '-10000.01', currency: 'EUR', usdEquivalent: '10850.01', thresholdUsd: '10000.50' }],
      // 9,216.13 × 1.085 = 9,999.50105: under 10,000.50
      // 3,072.900 × 3.2545 = 10,000.7530500 → 10000.75
      [3, 60, { amount: '3072.900', currency: 'KWD', usdEquivalent: '10000.75', thresholdUsd: '10000.50' }],
      [4, 60, { amount: '10000.50', currency: 'USD', usdEquivalent: '10000.50', thresholdUsd: '10000.50' }],
    ]);
    // 12,000.00 × 1.0000375 = 12,000.45 exactly; 12,000.10 × 1.0000375 = 12,000.550003750 → 12000.55;
    // 11,000.00 × 1.00000045 = 11,000.00495 → 11000.00; 11,000.00 × 1.00000046 = 11,000.00506 → 11000.01;
    // a half cent rounds away from zero: 20,000.01 × 0.5 = 10,000.005 → 10000.01
    const rounded = (amount: string, rate: string) =>
      rowRuleHits([row(1, amount, 'USD')], config({ fxToUsd: { USD: rate } }))?.[0]?.evidence['usdEquivalent'];
    expect(rounded('12000.00', '1.0000375')).toBe('12000.45');
    expect(rounded('12000.10', '1.0000375')).toBe('12000.55');
    expect(rounded('11000.00', '1.00000045')).toBe('11000.00');
    expect(rounded('11000.00', '1.00000046')).toBe('11000.01');
    expect(rounded('20000.01', '0.5')).toBe('10000.01');
    expect(rounded('20000.00', '0.5000025')).toBe('10000.05'); // 10,000.050 exactly
  });

  it('raises ROUND_AMOUNT on exact multiples at or above the minimum, in the row currency, either sign', () => {
    const c = config({ roundAmount: { minAmount: '5000', multipleOf: '1000' } });
    const hits = rowRuleHits(
      [
        row(1, '5000.00', 'USD'),
        row(2, '4000.00', 'USD'), // under the minimum
        row(3, '-7000.00', 'EUR'),
        row(4, '7000.01', 'USD'),
        row(5, '6000', 'JPY'),
        row(6, '6000.000', 'KWD'),
        row(7, '6500.00', 'XAU'), // no rate needed, but not a multiple
      ],
      c,
    );
    expect(hits?.filter((h) => h.rule === 'ROUND_AMOUNT').map((h) => [h.recordNo, h.score, h.evidence])).toEqual([
      [1, 20, { amount: '5000.00', currency: 'USD', multipleOf: '1000' }],
      [3, 20, { amount: '-7000.00', currency: 'EUR', multipleOf: '1000' }],
      [5, 20, { amount: '6000', currency: 'JPY', multipleOf: '1000' }],
      [6, 20, { amount: '6000.000', currency: 'KWD', multipleOf: '1000' }],
    ]);
    // a multiple with decimals, printed as PostgreSQL prints it; a multiple of 0 or less raises nothing
    const half = rowRuleHits(
      [row(1, '5000.50', 'USD'), row(2, '5000.25', 'USD')],
      config({ roundAmount: { minAmount: '5000', multipleOf: '00.50' } }),
    );
    expect(half?.filter((h) => h.rule === 'ROUND_AMOUNT').map((h) => [h.recordNo, h.evidence['multipleOf']])).toEqual([
      [1, '0.50'],
    ]);
    const none = rowRuleHits(
      [row(1, '5000.00', 'USD')],
      config({ roundAmount: { minAmount: '5000', multipleOf: '0' } }),
    );
    expect(none?.filter((h) => h.rule === 'ROUND_AMOUNT')).toEqual([]);
  });

  it('leaves the decision to the statements when a parameter is not a plain decimal', () => {
    expect(rowRuleHits([row(1, '1.00', 'USD')], config({ largeTransactionUsd: '1e4' }))).toBeUndefined();
    expect(rowRuleHits([row(1, '1.00', 'USD')], config({ fxToUsd: { USD: ' 1' } }))).toBeUndefined();
    expect(
      rowRuleHits([row(1, '1.00', 'USD')], config({ roundAmount: { minAmount: 'NaN', multipleOf: '1000' } })),
    ).toBeUndefined();
  });
});
