import fs from 'node:fs';
import path from 'node:path';
import {
  corpusDir,
  lookalikeSpoof,
  reorderName,
  withDiacritics,
  ORDINARY_COMPANIES,
  ORDINARY_FIRST_NAMES,
  ORDINARY_LAST_NAMES,
} from '@strongroom/testing';
import { readOfacFile } from './sdn-list';
import { SanctionsIndex } from './screener';

const CORPUS = corpusDir('sanctions');
const TRANSFORMS: Record<string, (s: string) => string> = {
  reordered: reorderName,
  'lower-cased': (s) => s.toLowerCase(),
  'with diacritics': withDiacritics,
  'stripped of diacritics': (s) => withDiacritics(s).normalize('NFD').replace(/\p{M}/gu, ''),
  'with look-alike characters': lookalikeSpoof,
};

function recall(index: SanctionsIndex, every: number): Record<string, string[]> {
  const misses: Record<string, string[]> = {};
  const names = index.listedNames().filter((_, i) => i % every === 0);
  for (const [label, transform] of Object.entries(TRANSFORMS)) {
    misses[label] = [];
    for (const n of names) {
      const r = index.screen(transform(n.name));
      if (!r.hit || (r.entryId !== n.entryId && !index.sameName(r.entryId, n.name)))
        misses[label]?.push(`${transform(n.name)} → ${r.matchedName} ${r.score}`);
    }
  }
  return misses;
}

describe('SanctionsIndex', () => {
  it('reads the OFAC test list: primary names, alternate names and the aliases in the remarks', () => {
    const { names, summary } = readOfacFile('sdn.csv', fs.readFileSync(path.join(CORPUS, 'ofactest/sdn.csv')));
    expect(summary).toMatchObject({ format: 'ofac-sdn', skipped: [] });
    expect(names.filter((n) => n.kind === 'primary')).toHaveLength(
      fs.readFileSync(path.join(CORPUS, 'ofactest/sdn.csv'), 'utf8').trim().split('\n').length,
    );
    expect(names).toContainEqual(
      expect.objectContaining({
        entryId: '11195',
        name: 'HESA',
        kind: 'aka',
        programs: ['NPWMD', 'IFSR', 'IRAN-CON-ARMS-EO'],
      }),
    );
    expect(names).toContainEqual(
      expect.objectContaining({ entryId: '10278', name: 'LOGAN MOREY, Elvis Angus', partyType: 'individual' }),
    );
  });

  it('refuses a file that is not an SDN-format list, naming it', () => {
    expect(() =>
      readOfacFile('comments.csv', fs.readFileSync(path.join(CORPUS, 'invalidFiles/sdn_comments.csv'))),
    ).toThrow(/comments\.csv is not an OFAC SDN-format list/);
  });

  it('matches every name of the OFAC test list reordered, lower-cased, with or without diacritics, or with look-alike characters', () => {
    const index = SanctionsIndex.fromFiles([
      path.join(CORPUS, 'ofactest/sdn.csv'),
      path.join(CORPUS, 'ofactest/alt.csv'),
    ]);
    expect(index.size).toBeGreaterThan(40);
    const misses = recall(index, 1);
    for (const label of Object.keys(TRANSFORMS))
      expect({ label, misses: misses[label] }).toEqual({ label, misses: [] });
  });

  describe('on the full OFAC SDN list', () => {
    const index = SanctionsIndex.fromFiles([path.join(CORPUS, 'full/sdn.csv'), path.join(CORPUS, 'full/alt.csv')]);

    it('matches a sample of every 40th listed name under each transformation', () => {
      const misses = recall(index, 40);
      for (const label of Object.keys(TRANSFORMS))
        expect({ label, misses: misses[label] }).toEqual({ label, misses: [] });
    }, 60_000);

    it('flags almost no ordinary names (false-positive rate under 0.5 %)', () => {
      const ordinary = [...ORDINARY_COMPANIES];
      ORDINARY_FIRST_NAMES.forEach((f, i) =>
        ORDINARY_LAST_NAMES.forEach((l, j) => (i + j) % 3 === 0 && ordinary.push(`${f} ${l}`)),
      );
      const hits = ordinary.map((q) => ({ q, r: index.screen(q) })).filter((x) => x.r.hit);
      expect(ordinary.length).toBeGreaterThan(1000);
      expect(hits.length / ordinary.length).toBeLessThan(0.005);
      for (const company of ORDINARY_COMPANIES)
        expect({ company, hit: index.screen(company).hit }).toEqual({ company, hit: false });
    }, 60_000);

    it('catches a typo, an extra legal form and a compound written together; the threshold is configurable', () => {
      expect(index.screen('Banco Nacional de Cuba S.A.')).toMatchObject({ hit: true, entryId: '306' });
      expect(index.screen('Aerocaribbean Airlnes')).toMatchObject({ hit: true, entryId: '36' });
      expect(index.screen('Hizb Allah').hit).toBe(true);
      const near = index.screen('Aerocaribbean Airlnes');
      expect(index.screen('Aerocaribbean Airlnes', Math.min(1, near.score + 0.01)).hit).toBe(false);
    });
  });
});
