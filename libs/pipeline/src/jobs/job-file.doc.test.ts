import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_AML_CONFIG } from '@strongroom/compliance';
import { CANONICAL_FIELDS, jobDefinitionSchema, parseJobDefinition } from './job-definition';

/** docs/job-file.md, the reference of every job-file key, checked against the schema so neither drifts. */
const DOC = fs.readFileSync(path.resolve(__dirname, '..', '..', '..', '..', 'docs', 'job-file.md'), 'utf8');

interface Row {
  key: string;
  type: string;
  default: string;
}

/** The rows of the "Every key" table: | `key` | type | default | meaning | example |. */
function documentedRows(doc: string): Map<string, Row> {
  const rows = new Map<string, Row>();
  for (const line of doc.split('\n')) {
    const cells = line.split(/(?<!\\)\|/).map((c) => c.trim());
    const key = /^`([^`]+)`$/.exec(cells[1] ?? '')?.[1];
    if (!key || cells.length < 7) continue;
    rows.set(key, { key, type: cells[2] ?? '', default: cells[3] ?? '' });
  }
  return rows;
}

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  items?: SchemaNode;
  propertyNames?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
}

interface SchemaKey {
  allowed: Set<string>;
  defaults: unknown[];
}

/** Every key path of the schema (objects and leaves), with its allowed values and defaults. Record keys are `<field>` or `<currency>`. */
function schemaKeys(node: SchemaNode, prefix: string, out: Map<string, SchemaKey>): Map<string, SchemaKey> {
  const branches = node.oneOf ?? node.anyOf;
  if (branches) {
    for (const b of branches)
      schemaKeys({ ...b, ...(node.default !== undefined ? { default: node.default } : {}) }, prefix, out);
    return out;
  }
  if (prefix) {
    const key = out.get(prefix) ?? { allowed: new Set<string>(), defaults: [] };
    for (const v of [
      ...(node.enum ?? []),
      ...(node.const !== undefined ? [node.const] : []),
      ...(node.items?.enum ?? []),
    ])
      key.allowed.add(String(v));
    if (node.default !== undefined) key.defaults.push(node.default);
    out.set(prefix, key);
  }
  for (const [name, child] of Object.entries(node.properties ?? {}))
    schemaKeys(child, prefix ? `${prefix}.${name}` : name, out);
  if (node.propertyNames && typeof node.additionalProperties === 'object') {
    const placeholder = node.propertyNames.enum ? '<field>' : '<currency>';
    schemaKeys(node.additionalProperties, `${prefix}.${placeholder}`, out);
    for (const v of node.propertyNames.enum ?? []) out.get(prefix)?.allowed.add(String(v));
  }
  return out;
}

const SCHEMA = schemaKeys(
  z.toJSONSchema(jobDefinitionSchema, { io: 'input', unrepresentable: 'any' }) as SchemaNode,
  '',
  new Map(),
);
const ROWS = documentedRows(DOC);

/** A default as the doc writes it: `500`, `,`, `[]`, `CONFIDENTIAL`. */
function written(value: unknown): string {
  if (Array.isArray(value)) return `[${value.join(', ')}]`;
  return String(value);
}

/** The engine-side AML defaults (the schema leaves them out so a job only overrides what it names). */
function amlDefault(key: string): unknown {
  const rest = key.replace(/^compliance\.aml\.?/, '');
  if (!rest || rest.startsWith('fxToUsd')) return undefined;
  return rest.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], DEFAULT_AML_CONFIG);
}

describe('docs/job-file.md', () => {
  it('documents every key of the job schema, and no key the schema does not have', () => {
    const documented = [...ROWS.keys()].sort();
    const schema = [...SCHEMA.keys()].sort();
    expect(documented.filter((k) => !SCHEMA.has(k))).toEqual([]);
    expect(schema.filter((k) => !ROWS.has(k))).toEqual([]);
  });

  it("states each key's default as the schema (or the engine's AML defaults) applies it", () => {
    const wrong: string[] = [];
    for (const [key, row] of ROWS) {
      const scalar = SCHEMA.get(key)?.defaults.find((d) => typeof d !== 'object' || Array.isArray(d));
      const expected = scalar ?? amlDefault(key);
      if (expected === undefined || (typeof expected === 'object' && !Array.isArray(expected))) continue;
      if (!row.default.includes(`\`${written(expected)}\``))
        wrong.push(`${key}: documented ${row.default}, schema ${written(expected)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('lists every allowed value of each enumerated key', () => {
    const missing: string[] = [];
    for (const [key, { allowed }] of SCHEMA) {
      const row = ROWS.get(key);
      if (!row) continue;
      for (const v of allowed) {
        const shown = v === '\t' ? 'tab' : v === '|' ? '`\\|`' : `\`${v}\``;
        if (!row.type.includes(shown) && !(key.endsWith('.classification') || key.endsWith('.mapping')))
          missing.push(`${key}: ${v}`);
      }
    }
    expect(missing).toEqual([]);
    // the placeholder rows name every canonical field
    for (const f of CANONICAL_FIELDS) expect(DOC).toContain(`\`${f}\``);
  });

  it('has examples that validate', () => {
    const examples = [...DOC.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const yaml of examples) expect(() => parseJobDefinition(yaml, __dirname)).not.toThrow();
  });
});
