import path from 'node:path';
import { corpusDir, makeTempDir, runCli, writeTempFile } from '@strongroom/testing';

const CORPUS = corpusDir('sanctions');
const LISTS = ['--list', path.join(CORPUS, 'full/sdn.csv'), '--list', path.join(CORPUS, 'full/alt.csv')];

/** `strongroom screen` as scripts use it (docs/design.md §8): the real CLI process, real list files. */
describe('strongroom screen', () => {
  it('reports a hit as JSON with score, matched name and entry id (exit 0; exit 1 only with --fail-on-hit)', async () => {
    const hit = await runCli(['screen', 'banco NACIONAL de cübа', ...LISTS, '--json']);
    expect(hit.code).toBe(0);
    expect((await runCli(['screen', 'banco NACIONAL de cübа', ...LISTS, '--fail-on-hit'])).code).toBe(1);
    expect(JSON.parse(hit.stdout)).toMatchObject({
      hit: true,
      score: 1,
      matchedName: 'BANCO NACIONAL DE CUBA',
      entryId: '306',
    });
    const clean = await runCli(['screen', 'Riverside', 'Dental', 'Clinic', ...LISTS, '--json']); // words need no quoting
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toMatchObject({ name: 'Riverside Dental Clinic', hit: false });
    expect(typeof JSON.parse(clean.stdout).score).toBe('number');
  }, 60_000);

  it('screens one name per line of --file and prints one JSON object per line, in order', async () => {
    const dir = makeTempDir();
    const names = writeTempFile(
      dir,
      'names.txt',
      'Acme Corp\nMORENO, Daniel\n\nDaniel Moreno\nAerocaribbean Airlines\n',
    );
    const r = await runCli(['screen', '--file', names, ...LISTS, '--json']);
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { name: string; hit: boolean; entryId: string });
    expect(lines.map((l) => [l.name, l.hit, l.hit ? l.entryId : ''])).toEqual([
      ['Acme Corp', false, ''],
      ['MORENO, Daniel', true, '15102'],
      ['', false, ''],
      ['Daniel Moreno', true, '15102'],
      ['Aerocaribbean Airlines', true, '36'],
    ]);
  }, 60_000);

  it('uses the configured lists without --list, and says clearly when there is none or a file is wrong', async () => {
    const home = makeTempDir();
    const none = await runCli(['screen', 'Daniel Moreno'], { STRONGROOM_HOME: home });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no sanctions list loaded.*--list FILE.*STRONGROOM_SANCTIONS_LISTS/);
    const configured = await runCli(['screen', 'Daniel Moreno', '--json'], {
      STRONGROOM_HOME: home,
      STRONGROOM_SANCTIONS_LISTS: path.join(CORPUS, 'ofactest/sdn.csv'),
    });
    expect(configured.code).toBe(0);
    expect(JSON.parse(configured.stdout)).toMatchObject({ hit: true, entryId: '15102' });
    const wrong = await runCli(['screen', 'x', '--list', path.join(CORPUS, 'invalidFiles/sdn_comments.csv')]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/sdn_comments\.csv is not an OFAC SDN-format list/);
    const missing = await runCli(['screen', 'x', '--list', path.join(home, 'nope.csv')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.csv does not exist/);
    const threshold = await runCli(['screen', 'x', '--threshold', '7', ...LISTS]);
    expect(threshold.code).toBe(2);
  }, 60_000);
});
