import fs from 'node:fs';
import path from 'node:path';
import { RPC_ROLES } from './role-matrix';
import { ROLES, type Role } from './roles';

/**
 * The role matrix against the one people read: the table in docs/security.md, written by hand. The engine's
 * and the gateway's cell-by-cell tests take their expectations from RPC_ROLES itself, so they prove that the
 * matrix is enforced, not that it is right; this test fails when either the code or the documented policy
 * changes without the other — a wrong cell has to be wrong in two places written apart.
 */
describe('RPC_ROLES and the documented role matrix', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'docs', 'security.md'), 'utf8');

  /** "Pause/Resume/CancelRun" → PauseRun, ResumeRun, CancelRun; "(…)" explanations dropped. */
  const expand = (cell: string): string[] =>
    cell
      .replace(/\([^)]*\)/g, '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .flatMap((name) => {
        const parts = name.split('/');
        if (parts.length === 1) return [name];
        const last = parts[parts.length - 1] as string;
        const suffix = last.replace(/^[A-Z][a-z]+/, ''); // CancelRun → Run, ReleaseLegalHold → LegalHold
        return [...parts.slice(0, -1).map((p) => p + suffix), last];
      });

  function documented(): Map<string, Role[]> {
    const start = doc.indexOf('| RPCs | viewer | operator | auditor | admin | gateway (service) |');
    expect(start).toBeGreaterThan(0);
    const rows = doc
      .slice(start)
      .split('\n')
      .map((l) => l.trim())
      .slice(2)
      .filter((l, i, all) => l.startsWith('|') && all.slice(0, i).every((x) => x.startsWith('|')));
    const matrix = new Map<string, Role[]>();
    for (const row of rows) {
      const [names, viewer, operator, auditor, admin, service] = row
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()) as string[];
      const roles: Role[] = [];
      for (const [role, cell] of [
        ['viewer', viewer],
        ['operator', operator],
        ['auditor', auditor],
        ['admin', admin],
      ] as const)
        if (cell === '✓') roles.push(role);
      if (service === '✓') roles.push('gateway');
      const named = /role `([a-z]+)`/.exec(service ?? '');
      if (named) roles.push(named[1] as Role);
      for (const rpc of expand(names as string)) matrix.set(rpc, roles);
    }
    return matrix;
  }

  it('gives every RPC exactly the roles the documented table gives it, and documents every RPC', () => {
    const table = documented();
    const sorted = (roles: readonly Role[]) => [...roles].sort((a, b) => ROLES.indexOf(a) - ROLES.indexOf(b));
    const fromCode = Object.fromEntries(Object.entries(RPC_ROLES).map(([rpc, roles]) => [rpc, sorted(roles)]));
    const fromDoc = Object.fromEntries([...table].map(([rpc, roles]) => [rpc, sorted(roles)]));
    expect(fromDoc).toEqual(fromCode);
  });
});
