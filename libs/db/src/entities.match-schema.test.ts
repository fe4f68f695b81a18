import fs from 'node:fs';
import path from 'node:path';
import 'reflect-metadata';
import { getMetadataArgsStorage } from 'typeorm';
import { ENTITIES } from './index';

/** Entities must describe the schema the migrations build (libs/db/schema.sql), column by column. */
describe('entities', () => {
  const snapshot = fs.readFileSync(path.resolve(__dirname, '..', 'schema.sql'), 'utf8');
  const tables = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  for (const line of snapshot.split('\n')) {
    const t = /^TABLE (\S+)$/.exec(line);
    if (t) tables.set(t[1] as string, (current = new Set()));
    const c = /^ {2}([a-z0-9_]+) /.exec(line);
    if (c && current && !line.startsWith('  CONSTRAINT') && !line.startsWith('  INDEX') && !line.startsWith('  CREATE'))
      current.add(c[1] as string);
  }

  it('map every column to a column of its table in the snapshot', () => {
    const storage = getMetadataArgsStorage();
    for (const entity of ENTITIES) {
      const table = storage.tables.find((t) => t.target === entity)?.name as string;
      expect(tables.has(table)).toBe(true);
      const columns = storage.columns.filter((c) => c.target === entity).map((c) => c.options.name ?? c.propertyName);
      for (const col of columns)
        expect(`${table}.${col}: ${tables.get(table)?.has(col)}`).toBe(`${table}.${col}: true`);
    }
  });

  it('cover every seed table', () => {
    const storage = getMetadataArgsStorage();
    const mapped = new Set(ENTITIES.map((e) => storage.tables.find((t) => t.target === e)?.name));
    for (const seed of [
      'jobs',
      'job_runs',
      'immutable_audit_log',
      'transaction_integrity',
      'dead_letter_queue',
      'circuit_breaker_states',
      'performance_metrics',
    ]) {
      expect(mapped.has(seed)).toBe(true);
    }
  });
});
