import { DateTimeScalar, LongScalar } from './scalars';

describe('LongScalar', () => {
  it('serializes counts above the 32-bit Int range exactly, as JSON numbers', () => {
    expect(LongScalar.serialize(2 ** 31)).toBe(2147483648);
    expect(LongScalar.serialize(Number.MAX_SAFE_INTEGER)).toBe(9007199254740991);
    expect(LongScalar.serialize(12345678901n)).toBe(12345678901);
    expect(LongScalar.serialize('5000000000')).toBe(5000000000);
  });

  it('refuses values it cannot represent exactly instead of rounding them', () => {
    for (const bad of [2 ** 53, 1.5, Number.NaN, Infinity, 2n ** 60n, '1e3', 'twelve', null, {}]) {
      expect(() => LongScalar.serialize(bad)).toThrow(/Long cannot represent/);
    }
  });
});

describe('DateTimeScalar', () => {
  it('serializes instants as ISO-8601 UTC with milliseconds', () => {
    expect(DateTimeScalar.serialize(new Date(Date.UTC(2026, 0, 31, 6, 0, 0, 5)))).toBe('2026-01-31T06:00:00.005Z');
  });

  it('refuses invalid dates and parses only zoned ISO-8601 input', () => {
    expect(() => DateTimeScalar.serialize(new Date('nope'))).toThrow();
    expect(DateTimeScalar.parseValue('2026-01-31T07:00:00+01:00')).toEqual(new Date(Date.UTC(2026, 0, 31, 6)));
    expect(() => DateTimeScalar.parseValue('2026-01-31 06:00')).toThrow();
    expect(() => DateTimeScalar.parseValue('2026-01-31T06:00:00')).toThrow();
  });
});
