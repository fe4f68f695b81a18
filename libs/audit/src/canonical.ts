/**
 * Canonical JSON for hashing: object keys sorted by UTF-16 code unit, no insignificant whitespace,
 * strings as JSON.stringify writes them, integers only (a float has no single canonical text and is
 * refused), bigints as decimal strings, undefined members dropped, Dates as ISO-8601 strings.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`audit entries hold integers only, got ${value}`);
      return String(value);
    case 'object': {
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`cannot encode ${typeof value} in an audit entry`);
  }
}
