import { sensitiveColumns } from './sensitive-columns';

// One JSON document (a line of a JSON lines file) read into the fields a job maps, by JSON path. Numbers
// keep their source text — `12.30` stays "12.30", and `12345678901234567.89` is not rounded — because money
// is never a JS number: JSON.parse cannot be used. Duplicate keys are refused (which "amount" would count?).

/** A JSON number as written. */
export class JsonNumber {
  constructor(readonly text: string) {}
}

export type JsonValue = string | JsonNumber | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Nesting deeper than this is refused (a record is data, not a structure to recurse into without end). */
const MAX_DEPTH = 64;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(`${message} at column ${column}`);
  }
}

/** Parses one JSON document; numbers as {@link JsonNumber}. Throws JsonSyntaxError with the 1-based column. */
export function parseJson(text: string): JsonValue {
  let i = 0;
  const fail = (what: string): never => {
    throw new JsonSyntaxError(i >= text.length ? `${what}, but the line ended` : what, i + 1);
  };
  const space = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\r' || text[i] === '\n')) i++;
  };
  const string = (): string => {
    i++; // the opening quote
    let out = '';
    let from = i;
    for (;;) {
      if (i >= text.length) fail('a string that never ends');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(from, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('a control character inside a string');
      if (c === 0x5c) {
        out += text.slice(from, i);
        const e = text[i + 1];
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else fail('a bad escape in a string');
        from = i;
        continue;
      }
      i++;
    }
  };
  const value = (depth: number): JsonValue => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    space();
    const c = text[i];
    if (c === '"') return string();
    if (c === '{') {
      i++;
      const obj: { [key: string]: JsonValue } = Object.create(null) as { [key: string]: JsonValue };
      space();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail('a key (a string) expected');
        const at = i;
        const key = string();
        if (Object.prototype.hasOwnProperty.call(obj, key)) {
          i = at;
          fail(`the key "${key.slice(0, 40)}" twice`);
        }
        space();
        if (text[i] !== ':') fail('":" expected');
        i++;
        obj[key] = value(depth + 1);
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail('"," or "}" expected');
      }
    }
    if (c === '[') {
      i++;
      const arr: JsonValue[] = [];
      space();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail('"," or "]" expected');
      }
    }
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m) {
      i += m[0].length;
      return new JsonNumber(m[0]);
    }
    return fail('a value expected');
  };
  const v = value(0);
  space();
  if (i < text.length) fail('text after the JSON value');
  return v;
}

type Segment = string | number;

/**
 * A job's JSON path: `$.amount.value`, `amount.value`, `$.parties[0].iban`, `$["booking date"]` (the `$` is
 * optional before a dotted name). Throws on anything else.
 */
export function parseJsonPath(path: string): Segment[] {
  const bad = () => new Error(`"${path}" is not a JSON path (e.g. $.amount.value, $.parties[0].iban)`);
  const p = path.trim();
  let rest = p.startsWith('$') ? p.slice(1) : `.${p}`;
  const out: Segment[] = [];
  while (rest) {
    let m: RegExpExecArray | null;
    if ((m = /^\.([A-Za-z_][A-Za-z0-9_-]*)/.exec(rest))) out.push(m[1] as string);
    else if ((m = /^\[(\d{1,6})\]/.exec(rest))) out.push(Number(m[1]));
    else if ((m = /^\["([^"\\]{1,200})"\]/.exec(rest))) out.push(m[1] as string);
    else throw bad();
    rest = rest.slice(m[0].length);
  }
  if (!out.length) throw bad();
  return out;
}

/** The document as JSON text again, numbers as written (for a record's raw text once sensitive keys are out). */
export function jsonText(v: JsonValue): string {
  if (v === null || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof JsonNumber) return v.text;
  if (Array.isArray(v)) return `[${v.map(jsonText).join(',')}]`;
  return `{${Object.keys(v)
    .map((k) => `${JSON.stringify(k)}:${jsonText(v[k] as JsonValue)}`)
    .join(',')}}`;
}

/**
 * The document without sensitive authentication data (PCI DSS 3.3.1), at any depth: keys named like a
 * card verification code, PIN or track data, and an expiry beside a card number — the same names a CSV
 * header is checked against. Returns the removed keys' names (empty: the document is unchanged).
 */
export function withoutSensitiveKeys(
  v: JsonValue,
  removed: Set<string> = new Set(),
): { value: JsonValue; removed: Set<string> } {
  if (Array.isArray(v)) return { value: v.map((x) => withoutSensitiveKeys(x, removed).value), removed };
  if (v === null || typeof v !== 'object' || v instanceof JsonNumber) return { value: v, removed };
  const keys = Object.keys(v);
  const drop = new Set(sensitiveColumns(keys).map((i) => keys[i] as string));
  const out: { [key: string]: JsonValue } = Object.create(null) as { [key: string]: JsonValue };
  for (const k of keys) {
    if (drop.has(k)) removed.add(k);
    else out[k] = withoutSensitiveKeys(v[k] as JsonValue, removed).value;
  }
  return { value: out, removed };
}

function at(value: JsonValue, path: readonly Segment[]): JsonValue | undefined {
  let v: JsonValue | undefined = value;
  for (const s of path) {
    if (v === null || v === undefined || typeof v !== 'object' || v instanceof JsonNumber) return undefined;
    if (typeof s === 'number') v = Array.isArray(v) ? v[s] : undefined;
    else v = Array.isArray(v) ? undefined : Object.prototype.hasOwnProperty.call(v, s) ? v[s] : undefined;
  }
  return v;
}

export interface JsonFields {
  fields: string[];
  /** The line as it may be kept (a dead letter's raw text): without sensitive keys when it had any. */
  raw: string;
  error?: { code: 'MALFORMED_JSON'; message: string };
}

/**
 * The fields of one JSON lines record, one per path: strings as they are, numbers as written, true/false,
 * and '' for null or a missing key (the mapper then says which required field is missing). An object or
 * array where a value is mapped, a line that is not a JSON object, or a syntax error make the record
 * MALFORMED_JSON with where it went wrong.
 */
export function jsonFields(line: string, paths: readonly (readonly Segment[])[], names: readonly string[]): JsonFields {
  let doc: JsonValue;
  try {
    doc = parseJson(line);
  } catch (err) {
    // a line that cannot be parsed cannot be told apart from its sensitive keys: its text is not kept
    return {
      fields: [],
      raw: '[record text not kept: it is not JSON, and JSON lines may carry card verification data]',
      error: { code: 'MALFORMED_JSON', message: `not JSON: ${(err as Error).message}` },
    };
  }
  const clean = withoutSensitiveKeys(doc);
  const raw = clean.removed.size ? jsonText(clean.value) : line;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc) || doc instanceof JsonNumber)
    return { fields: [], raw, error: { code: 'MALFORMED_JSON', message: 'the line is not a JSON object' } };
  doc = clean.value;
  const fields: string[] = [];
  for (const [k, path] of paths.entries()) {
    const v = at(doc, path);
    if (v === undefined || v === null) fields.push('');
    else if (typeof v === 'string') fields.push(v);
    else if (v instanceof JsonNumber) fields.push(v.text);
    else if (typeof v === 'boolean') fields.push(String(v));
    else
      return {
        fields: [],
        raw,
        error: {
          code: 'MALFORMED_JSON',
          message: `${names[k]} is ${Array.isArray(v) ? 'an array' : 'an object'}, not a value`,
        },
      };
  }
  return { fields, raw };
}
