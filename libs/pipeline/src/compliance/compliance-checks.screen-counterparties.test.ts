import path from 'node:path';
import { SanctionsIndex } from '@strongroom/compliance';
import { corpusDir } from '@strongroom/testing';
import { screenCounterparties } from './compliance-checks';
import { canonicalTxn } from '../testing/canonical-txn';

const txn = (recordNo: number, counterpartyName: string | null) => canonicalTxn(recordNo, { counterpartyName });

/** Sanctions screening of a batch's counterparties, run ahead of its commit while the batch before commits. */
describe('screenCounterparties', () => {
  const lists = corpusDir('sanctions', 'full');
  const screener = SanctionsIndex.fromFiles([path.join(lists, 'sdn.csv'), path.join(lists, 'alt.csv')]);
  // names the list has never seen (each costs real work), a listed one, and repeats
  const syllables = ['ka', 'lo', 'mer', 'tin', 'sa', 'bro', 'vel', 'du', 'ran', 'pe', 'gor', 'li', 'an', 'ste'];
  const made = Array.from({ length: 1500 }, (_, i) => {
    const w = (k: number) => Array.from({ length: k }, (_, j) => syllables[(i * (j + 3) + j * 5 + k) % 14]).join('');
    return `${['Anna', 'Li', 'Carlos'][i % 3]} ${w(2 + (i % 3))} ${w(2)}${i}`;
  });
  const rows = [...made, 'Banco Nacional de Cuba', made[0] as string, null].map((n, i) => txn(i + 1, n));

  it('answers each distinct name once, with the hit the screener finds, or null', async () => {
    const screened = await screenCounterparties({ screener, threshold: 0.9 }, rows);
    expect(screened.size).toBe(made.length + 1);
    expect(screened.get('Banco Nacional de Cuba')).toMatchObject({ hit: true, entryId: '306' });
    const hits = [...screened].filter(([, r]) => r);
    expect(hits.map(([n]) => n)).toEqual(['Banco Nacional de Cuba']);
    for (const [name, r] of screened) expect(r).toEqual(screener.findHit(name, 0.9));
  });

  it('lets other work run while it screens many new names (a commit in flight is not held up)', async () => {
    const fresh = SanctionsIndex.fromFiles([path.join(lists, 'sdn.csv'), path.join(lists, 'alt.csv')]);
    let turns = 0;
    let done = false;
    const tick = () => {
      if (done) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const screened = await screenCounterparties({ screener: fresh, threshold: 0.9 }, rows);
    done = true;
    expect(screened.size).toBe(made.length + 1);
    // 1,500 new names take well over the 5 ms slice; other callbacks ran between the slices
    expect(turns).toBeGreaterThan(2);
  });
});
