import { docTable } from '@strongroom/testing';
import { ROOT_FIELD_POLICY } from './authorization';

/**
 * The gateway's root fields against the role table people read in docs/gateway.md: every root field the
 * gateway serves is in the table, with exactly the roles the policy gives it, and the table names no field
 * the gateway does not serve. A field added to the schema without its row (or a row left behind) fails here.
 */
describe('the root-field policy and the documented table in docs/gateway.md', () => {
  const PEOPLE = ['viewer', 'operator', 'auditor', 'admin'] as const;

  function documented(): Map<string, string[]> {
    const table = new Map<string, string[]>();
    for (const [names, ...cells] of docTable('gateway.md', '| field | viewer | operator | auditor | admin |')) {
      const roles = PEOPLE.filter((_, i) => cells[i] === '✓');
      for (const name of (names as string).replace(/\([^)]*\)/g, '').split(',')) {
        const field = name.trim();
        expect(table.has(field)).toBe(false); // each field in one row
        table.set(field, roles);
      }
    }
    return table;
  }

  it('lists every root field with the roles the policy gives it, and nothing else', () => {
    const table = documented();
    const served = new Map<string, string[]>();
    for (const fields of Object.values(ROOT_FIELD_POLICY))
      for (const [field, roles] of Object.entries(fields))
        served.set(
          field,
          PEOPLE.filter((r) => roles.includes(r)),
        );
    expect([...table.keys()].sort()).toEqual([...served.keys()].sort());
    for (const [field, roles] of served) expect({ field, roles: table.get(field) }).toEqual({ field, roles });
  });
});
