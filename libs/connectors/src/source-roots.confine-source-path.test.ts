import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { confineSourcePath, hideRootPaths, rootRelativePath, sourceRoots } from './source-roots';

describe('confineSourcePath', () => {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-roots-')));
  const inbox = path.join(base, 'inbox');
  const home = path.join(base, 'home');
  const outside = path.join(base, 'outside');
  for (const d of [inbox, home, path.join(home, 'keys'), path.join(home, 'inbox'), outside])
    fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(inbox, 'ok.csv'), 'id\n1\n');
  fs.writeFileSync(path.join(outside, 'secret.csv'), 'id\nTOP-SECRET\n');
  fs.writeFileSync(path.join(home, 'keys', 'pan-hmac.key'), 'k1:c2VjcmV0\n');
  fs.symlinkSync(path.join(outside, 'secret.csv'), path.join(inbox, 'link.csv'));
  const code = (f: () => unknown) => {
    try {
      f();
      return 'allowed';
    } catch (err) {
      expect((err as Error).message).not.toContain('TOP-SECRET');
      return (err as { code: string }).code;
    }
  };

  it('allows files below a root, also ones not written yet, and answers with the real path', () => {
    const roots = sourceRoots([inbox], home);
    expect(confineSourcePath(path.join(inbox, 'ok.csv'), roots)).toBe(path.join(inbox, 'ok.csv'));
    expect(code(() => confineSourcePath(path.join(inbox, 'later', 'tomorrow.csv'), roots))).toBe('allowed');
  });

  it('refuses absolute paths outside, ../ escapes, symlinks that leave the root and the pseudo file systems', () => {
    const roots = sourceRoots([inbox], home);
    expect(code(() => confineSourcePath(path.join(outside, 'secret.csv'), roots))).toBe('SOURCE_OUTSIDE_ROOTS');
    expect(code(() => confineSourcePath(`${inbox}/../outside/secret.csv`, roots))).toBe('SOURCE_OUTSIDE_ROOTS');
    expect(code(() => confineSourcePath(path.join(inbox, 'link.csv'), roots))).toBe('SOURCE_OUTSIDE_ROOTS');
    expect(code(() => confineSourcePath('/proc/self/environ', sourceRoots(['/'], home)))).toBe('SOURCE_OUTSIDE_ROOTS');
    expect(code(() => confineSourcePath('/dev/zero', sourceRoots(['/'], home)))).toBe('SOURCE_OUTSIDE_ROOTS');
  });

  it("never reads the engine's home (keys, database) even below a root, except its inbox", () => {
    const roots = sourceRoots([base, path.join(home, 'inbox')], home);
    expect(code(() => confineSourcePath(path.join(home, 'keys', 'pan-hmac.key'), roots))).toBe('SOURCE_OUTSIDE_ROOTS');
    expect(code(() => confineSourcePath(path.join(home, 'inbox', 'file.csv'), roots))).toBe('allowed');
    expect(code(() => confineSourcePath(path.join(outside, 'secret.csv'), roots))).toBe('allowed');
    expect(code(() => confineSourcePath(path.join(home, 'keys', 'pan-hmac.key'), sourceRoots([base], home)))).toBe(
      'SOURCE_OUTSIDE_ROOTS',
    );
    expect(code(() => confineSourcePath(path.join(home, 'keys', 'pan-hmac.key'), sourceRoots([home], home)))).toBe(
      'SOURCE_OUTSIDE_ROOTS',
    );
  });

  it('does not take a sibling folder that shares a prefix for the root', () => {
    fs.mkdirSync(`${inbox}-evil`, { recursive: true });
    expect(code(() => confineSourcePath(`${inbox}-evil/x.csv`, sourceRoots([inbox], home)))).toBe(
      'SOURCE_OUTSIDE_ROOTS',
    );
  });
});

describe('rootRelativePath / hideRootPaths (what a viewer sees)', () => {
  const roots = { roots: ['/srv/bank/inbox', '/srv/bank/inbox/eu', '/data'], forbidden: [], allowedInForbidden: [] };

  it('shows a path relative to its (innermost) root, and only the file name outside every root', () => {
    expect(rootRelativePath('/srv/bank/inbox/day.csv', roots)).toBe('inbox/day.csv');
    expect(rootRelativePath('/srv/bank/inbox/eu/2026/day.csv', roots)).toBe('eu/2026/day.csv');
    expect(rootRelativePath('/etc/elsewhere/day.csv', roots)).toBe('day.csv');
    expect(rootRelativePath('grpc://feed-1', roots)).toBe('grpc://feed-1');
  });

  it('hides the roots inside a message', () => {
    expect(hideRootPaths('cannot open /srv/bank/inbox/eu/day.csv: ENOENT (also /data/x.csv)', roots)).toBe(
      'cannot open eu/day.csv: ENOENT (also data/x.csv)',
    );
  });
});
