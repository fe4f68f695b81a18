import { jaroWinkler, nameScore, tokenSimilarity } from './similarity';

describe('nameScore', () => {
  it('ignores word order', () => {
    expect(nameScore(['daniel', 'moreno'], ['moreno', 'daniel'])).toBe(1);
  });

  it('forgives a typo in a long word more than one in a short word', () => {
    expect(tokenSimilarity('mohamed', 'mohammed')).toBeGreaterThan(0.9);
    expect(tokenSimilarity('mary', 'mark')).toBeLessThan(0.85);
    expect(tokenSimilarity('omar', 'omer')).toBeGreaterThanOrEqual(0.75); // a transliteration variant still pairs
    expect(nameScore(['osama', 'bin', 'ladn'], ['usama', 'bin', 'laden'])).toBeGreaterThan(0.8);
  });

  it('lowers the score for missing or extra words', () => {
    const full = ['elvis', 'angus', 'logan', 'morey'];
    expect(nameScore(['elvis', 'logan'], full)).toBeLessThan(0.75);
    expect(nameScore(['juan', 'garcia'], ['garcia', 'abrego', 'juan'])).toBeLessThan(0.8);
  });

  it('gives legal forms little weight', () => {
    expect(nameScore(['banco', 'nacional', 'de', 'cuba', 'sa'], ['banco', 'nacional', 'de', 'cuba'])).toBeGreaterThan(
      0.95,
    );
  });

  it('compares compounds written apart or together', () => {
    expect(nameScore(['abubakr'], ['abu', 'bakr'])).toBe(1);
    expect(nameScore(['hizb', 'allah'], ['hizballah'])).toBe(1);
  });

  it('computes standard Jaro–Winkler values', () => {
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.961, 3);
    expect(jaroWinkler('dwayne', 'duane')).toBeCloseTo(0.84, 2);
    expect(jaroWinkler('abc', 'xyz')).toBe(0);
  });
});
