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
import { joinedRatioBound, SanctionsIndex } from './screener';
import { levenshteinRatio } from './similarity';

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
      const r = index.findHit(transform(n.name)); // the same answer as screen's for a hit (tested below)
      if (!r || (r.entryId !== n.entryId && !index.sameName(r.entryId, n.name)))
        misses[label]?.push(`${transform(n.name)} → ${r ? `${r.matchedName} ${r.score}` : 'no hit'}`);
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

  it('bounds the edit-distance ratio of two names from above by their letter counts', () => {
    let seed = 5;
    const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
    const word = () => Array.from({ length: 1 + rnd(14) }, () => 'abcdeinorsz\u00e9\u0634'[rnd(13)]).join('');
    let strict = 0;
    for (let i = 0; i < 5000; i++) {
      const a = word();
      const b = rnd(3) ? word() : a.slice(rnd(a.length)) + word().slice(0, 2);
      const bound = joinedRatioBound(a, b);
      expect({ a, b, above: bound >= levenshteinRatio(a, b) }).toEqual({ a, b, above: true });
      if (bound < 1) strict++;
    }
    expect(joinedRatioBound('abubakr', 'abubakr')).toBe(1);
    expect(joinedRatioBound('', 'x')).toBe(0);
    expect(strict).toBeGreaterThan(4000); // it rules names out, not only in
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

    it('finds a hit exactly as screen does (same listed name and score), and no hit where screen finds none', () => {
      const listed = index.listedNames().filter((_, i) => i % 400 === 0);
      const near = listed.flatMap((n, i) => {
        const parts = n.name.split(/[\s,]+/).filter(Boolean);
        return [
          n.name,
          reorderName(n.name),
          n.name.replace(/[aeiou]/i, 'x'),
          parts.slice(0, 2).join(' '),
          parts.join(''),
          `${n.name} ${ORDINARY_COMPANIES[i % ORDINARY_COMPANIES.length]?.split(' ')[0]}`,
        ];
      });
      const ordinary = ORDINARY_FIRST_NAMES.flatMap((f, i) =>
        ORDINARY_LAST_NAMES.filter((_, j) => (i * 7 + j) % 29 === 0).map((l) => `${f} ${l}`),
      );
      const syllables = ['ka', 'lo', 'mer', 'tin', 'sa', 'bro', 'vel', 'du', 'ran', 'pe', 'gor', 'li', 'an', 'ste'];
      const madeUp = Array.from({ length: 90 }, (_, i) => {
        const word = (k: number, salt: number) =>
          Array.from({ length: k }, (_, j) => syllables[(i * 31 + j * 17 + salt * 7 + ((i * j) % 5)) % 14]).join('');
        return i % 3 === 0
          ? `${word(3, 1)} ${word(2, 2)} Trading LLC`
          : `${ORDINARY_FIRST_NAMES[i % 40]} ${word(3, 3)}`;
      });
      // companies named with the list's most common words (each pulls in hundreds of listed names), some written together
      const common = ['Global', 'International', 'Golden', 'Middle East'].flatMap((a, i) =>
        ['Trading', 'Investment', 'Shipping', 'Oil'].flatMap((b, j) => {
          const form = ['Company', 'Co. Ltd', 'Group', 'Establishment', 'Holding'][(i + j) % 5];
          return [`${a} ${b} ${form}`, `${a}${b} ${form}`];
        }),
      );
      const names = [...near, ...ordinary, ...ORDINARY_COMPANIES, ...madeUp, ...common];
      for (const threshold of [0.8, 0.95]) {
        let hits = 0;
        const differ: string[] = [];
        for (const q of names) {
          const full = index.screen(q, threshold);
          const hit = index.findHit(q, threshold);
          if (full.hit) hits++;
          if (JSON.stringify(hit) !== JSON.stringify(full.hit ? full : null)) differ.push(q);
        }
        expect({ threshold, differ }).toEqual({ threshold, differ: [] });
        // both answers are exercised: many hits, many names that are not
        expect(hits).toBeGreaterThan(near.length / 2);
        expect(names.length - hits).toBeGreaterThan(ordinary.length);
      }
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
