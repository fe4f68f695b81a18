/**
 * Canonical JSON for hashing: object keys sorted by UTF-16 code unit, no insignificant whitespace,
 * strings as JSON.stringify writes them (a lone surrogate as U+FFFD), integers only (a float has no single canonical text and is
 * refused), bigints as decimal strings, undefined members dropped, Dates as ISO-8601 strings.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return quote(value.toString());
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`audit entries hold integers only, got ${value}`);
      return String(value);
    case 'object': {
      if (value instanceof Date) return quote(value.toISOString());
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const v = value[i] as unknown;
          out += (i ? ',' : '') + canonicalJson(v === undefined ? null : v);
        }
        return `${out}]`;
      }
      const obj = value as Record<string, unknown>;
      // keys sorted by UTF-16 code unit (the default sort), undefined members dropped
      const keys = Object.keys(obj).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const v = obj[k];
        if (v === undefined) continue;
        out += `${first ? '' : ','}${quote(k)}:${canonicalJson(v)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new TypeError(`cannot encode ${typeof value} in an audit entry`);
  }
}

/** Printable ASCII without a quote or backslash: JSON.stringify would write it as it is. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A UTF-16 surrogate without its other half. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A string as JSON.stringify writes it (the common plain case without calling it), with any lone surrogate as
 * U+FFFD: what the text becomes as UTF-8 in the database (JSON.stringify would write it as a `\ud800` escape,
 * which PostgreSQL's json refuses and which would not hash as the stored text does).
 */
function quote(s: string): string {
  return PLAIN.test(s) ? `"${s}"` : JSON.stringify(s.replace(LONE_SURROGATE, '\ufffd'));
}
