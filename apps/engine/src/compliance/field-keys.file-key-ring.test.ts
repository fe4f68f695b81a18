import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '@strongroom/logging';
import { FileKeyRing } from './field-keys';

describe('FileKeyRing', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'field-keys-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('takes up a rotation another holder of the file made (a run thread, a replica), within a second of its clock', () => {
    const file = path.join(dir, 'ring');
    let now = 1_000_000;
    const clock = () => now;
    const rotator = new FileKeyRing(file, silentLogger(), clock);
    const reader = new FileKeyRing(file, silentLogger(), clock);
    expect(reader.current().id).toBe('k1');
    const k2 = rotator.rotate();
    expect(rotator.current().id).toBe(k2);
    // the reader looks at the file again at most once a second
    expect(reader.current().id).toBe('k1');
    now += 1000;
    expect(reader.current().id).toBe(k2);
    expect(reader.get(k2)).toEqual(rotator.get(k2));
    expect(reader.ids()).toEqual(['k1', k2]);
    expect(reader.indexKey()).toEqual(rotator.indexKey());
  });

  it('rotates from the ring the file holds, not a stale copy: two holders never make the same key id', () => {
    const file = path.join(dir, 'ring3');
    const clock = () => 0; // neither looks at the file again on its own
    const a = new FileKeyRing(file, silentLogger(), clock);
    const b = new FileKeyRing(file, silentLogger(), clock);
    expect(a.rotate()).toBe('k2');
    expect(b.rotate()).toBe('k3');
    const ids = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /^k\d+:/.test(l))
      .map((l) => l.split(':')[0]);
    expect(ids).toEqual(['k1', 'k2', 'k3']);
  });

  it('keeps the ring it has when the file no longer parses or is gone', () => {
    const file = path.join(dir, 'ring2');
    let now = 0;
    const ring = new FileKeyRing(file, silentLogger(), () => now);
    fs.writeFileSync(file, 'not a key ring\n');
    now += 1000;
    expect(ring.current().id).toBe('k1');
    fs.rmSync(file);
    now += 1000;
    expect(ring.current().id).toBe('k1');
  });
});
