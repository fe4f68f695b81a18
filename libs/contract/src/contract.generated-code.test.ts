import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROTO_FILES, PROTO_ROOT, Run, RunStatus } from './index';

describe('generated contract', () => {
  it('matches what regenerating from proto/ produces (no hand edits, no stale output)', () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    // throws (non-zero exit) when buf lint fails or the regenerated code differs
    const out = execFileSync(process.execPath, [path.join(root, 'tools', 'gen-contract.js'), '--check'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(out).toContain('generated code matches proto/');
  });

  it('lists proto files that exist, for reflection at run time', () => {
    for (const f of PROTO_FILES) expect(fs.existsSync(path.join(PROTO_ROOT, f))).toBe(true);
  });

  it('round-trips a run through the wire format with exact counters', () => {
    const run = Run.fromPartial({
      id: 'r1',
      status: RunStatus.RUN_STATUS_SUCCEEDED,
      read: 9_007_199_254_740_991,
      loaded: 3,
    });
    const back = Run.decode(Run.encode(run).finish());
    expect(back.read).toBe(9_007_199_254_740_991);
    expect(back.status).toBe(RunStatus.RUN_STATUS_SUCCEEDED);
  });
});
