/**
 * Measures sanctions screening recall and false-positive rate on the OFAC lists (not part of npm test;
 * a small version runs in libs/compliance tests).
 *   node bin/run-ts.js tools/screening-eval.ts [--sdn FILE] [--alt FILE] [--threshold 0.9] [--sample N]
 * Recall: every listed name, reordered / lower-cased / with diacritics added then stripped / with
 * look-alike characters, must hit the same party. False positives: ordinary names built from common
 * first and last names (many cultures) and company names must not hit. Speed: every name through `screen`
 * (its best score), then again through `findHit` on a fresh index (hits only, as a load screens), which must
 * answer every hit as `screen` did and nothing else.
 */
import { SanctionsIndex, type ScreeningResult } from '@strongroom/compliance';
import {
  corpusDir,
  lookalikeSpoof,
  reorderName,
  withDiacritics,
  ORDINARY_FIRST_NAMES,
  ORDINARY_LAST_NAMES,
  ORDINARY_COMPANIES,
} from '@strongroom/testing';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] as string) : fallback;
}
const corpus = `${corpusDir('sanctions', 'full')}/`;
const sdn = arg('sdn', `${corpus}sdn.csv`);
const alt = arg('alt', `${corpus}alt.csv`);
const threshold = Number(arg('threshold', '0.9'));
const sample = Number(arg('sample', '0'));

const t0 = Date.now();
const index = SanctionsIndex.fromFiles([sdn, alt], threshold);
console.log(
  `list: ${index.size} names from ${index.sources.map((s) => `${s.file} (${s.names}, ${s.skipped.length} skipped)`).join(', ')} in ${Date.now() - t0} ms`,
);

const listed = index.listedNames().filter((_, i, all) => !sample || i % Math.ceil(all.length / sample) === 0);
const transforms: Record<string, (s: string) => string> = {
  reordered: reorderName,
  lowercased: (s) => s.toLowerCase(),
  diacritics: (s) => withDiacritics(s).normalize('NFD').replace(/\p{M}/gu, ''),
  accented: withDiacritics,
  lookalike: lookalikeSpoof,
};
let screened = 0;
const asked: [string, ScreeningResult][] = [];
const t1 = Date.now();
for (const [label, f] of Object.entries(transforms)) {
  let hits = 0;
  const misses: string[] = [];
  for (const n of listed) {
    const q = f(n.name);
    const r = index.screen(q);
    screened++;
    asked.push([q, r]);
    if (r.hit && (r.entryId === n.entryId || index.sameName(r.entryId, n.name))) hits++;
    else if (misses.length < 5) misses.push(`${JSON.stringify(q)} → ${r.score} ${r.matchedName}`);
  }
  console.log(
    `recall ${label.padEnd(10)} ${((100 * hits) / listed.length).toFixed(2)} % (${hits}/${listed.length})${misses.length ? `; e.g. missed ${misses.join(' | ')}` : ''}`,
  );
}
const ordinary: string[] = [];
for (const f of ORDINARY_FIRST_NAMES) for (const l of ORDINARY_LAST_NAMES) ordinary.push(`${f} ${l}`);
ordinary.push(...ORDINARY_COMPANIES);
let fp = 0;
const fps: string[] = [];
for (const q of ordinary) {
  const r = index.screen(q);
  screened++;
  asked.push([q, r]);
  if (r.hit) {
    fp++;
    if (fps.length < 15) fps.push(`${q} → ${r.matchedName} (${r.score})`);
  }
}
const ms = Date.now() - t1;
console.log(
  `false positives: ${fp}/${ordinary.length} ordinary names (${((100 * fp) / ordinary.length).toFixed(2)} %)${fps.length ? `: ${fps.join('; ')}` : ''}`,
);
console.log(`speed: ${screened} screens in ${ms} ms (${Math.round((screened / ms) * 1000)} names/s, uncached)`);

// a load asks only for hits (findHit): the same names on a fresh index, and the same answer for every hit
const fresh = SanctionsIndex.fromFiles([sdn, alt], threshold);
const t2 = Date.now();
let differ = 0;
for (const [q, r] of asked) {
  const hit = fresh.findHit(q);
  if (JSON.stringify(hit) !== JSON.stringify(r.hit ? r : null)) differ++;
}
const hitMs = Date.now() - t2;
console.log(
  `hits only (as a load screens): ${asked.length} names in ${hitMs} ms (${Math.round((asked.length / hitMs) * 1000)} names/s, uncached); answers differing from the full screen: ${differ}`,
);
