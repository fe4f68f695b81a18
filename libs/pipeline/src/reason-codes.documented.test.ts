import { codeIn, docTable } from '@strongroom/testing';
import { FILTER_REASONS, REJECT_CODES } from './types';

/**
 * docs/error-catalogue.md §2 and §3 against the codes a run writes: every dead-letter reason code and every
 * filter reason is listed once, and the catalogue lists none the code cannot write. SUPERSEDED is also listed in
 * §2 as what a KYC dead letter's replay answers (never a reason a run dead-letters with).
 */
describe('the reason codes in the error catalogue', () => {
  it('lists every dead-letter reason code once, and the replay-only SUPERSEDED', () => {
    const rows = docTable('error-catalogue.md', '| reason | when |', '## 2. Dead-letter reason codes');
    const listed = rows.map((r) => codeIn(r[0] as string));
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual([...REJECT_CODES, 'SUPERSEDED'].sort());
    expect(rows.find((r) => codeIn(r[0] as string) === 'SUPERSEDED')?.[1]).toMatch(/^a replay outcome only/);
  });

  it('lists every filter reason once', () => {
    const rows = docTable('error-catalogue.md', '| reason | when |', '## 3. Filter reasons');
    const listed = rows.map((r) => codeIn(r[0] as string));
    expect(new Set(listed).size).toBe(listed.length);
    expect([...listed].sort()).toEqual([...FILTER_REASONS].sort());
  });
});
