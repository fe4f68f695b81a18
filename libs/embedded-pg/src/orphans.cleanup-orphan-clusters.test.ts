import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cleanupOrphanClusters } from './index';

describe('cleanupOrphanClusters', () => {
  it('removes cluster directories whose owning process is gone and keeps live ones', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    }).stdout; // exited already
    const prefix = `strongroom-unit-${process.pid}-`;
    const orphan = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}${dead}-`));
    const live = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}${process.pid}-`));
    fs.mkdirSync(path.join(orphan, 'data'));
    fs.writeFileSync(path.join(orphan, 'data', 'postmaster.pid'), `${dead}\n`); // stale pid file: nothing to stop
    const removed = await cleanupOrphanClusters(prefix);
    expect(removed).toBe(1);
    expect(fs.existsSync(orphan)).toBe(false);
    expect(fs.existsSync(live)).toBe(true);
    fs.rmSync(live, { recursive: true, force: true });
  });
});
