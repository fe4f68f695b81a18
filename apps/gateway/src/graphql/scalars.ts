// Custom scalars. Money never appears here: amounts are decimal strings (String) end to end (I3).
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

/**
 * `Long`: counts and byte sizes (rows read/loaded, source bytes, batches). GraphQL `Int` is 32-bit
 * signed, and a single source file passes 2^31 bytes (2 GiB) easily, so Int is wrong for sizes and
 * uncomfortably close for row counts. The engine sends int64 as JS numbers (ts-proto forceLong=number,
 * which itself refuses values above 2^53-1), so every value that reaches us is an exact safe integer.
 * We serialize it as a JSON number rather than a string: every client reads it without parsing, and
 * 2^53-1 rows is ~285 years at 1M rows/s. Values outside the safe range are refused, never rounded.
 */
export const LongScalar = new GraphQLScalarType<number, number>({
  name: 'Long',
  description: 'An integer in ±(2^53-1), serialized as a JSON number. Used for counts and byte sizes.',
  serialize(value) {
    return toSafeInteger(value, 'Long cannot represent');
  },
  parseValue(value) {
    if (typeof value !== 'number') throw new GraphQLError('Long must be a JSON number');
    return toSafeInteger(value, 'Long cannot represent');
  },
  parseLiteral(ast: ValueNode) {
    if (ast.kind !== Kind.INT) throw new GraphQLError('Long must be an integer literal');
    return toSafeInteger(ast.value, 'Long cannot represent');
  },
});

function toSafeInteger(value: unknown, what: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (
    typeof value === 'bigint' &&
    value <= BigInt(Number.MAX_SAFE_INTEGER) &&
    value >= BigInt(Number.MIN_SAFE_INTEGER)
  ) {
    return Number(value);
  }
  // int64 as a decimal string (if the contract ever switches to forceLong=string).
  if (typeof value === 'string' && /^-?\d{1,16}$/.test(value)) {
    const n = Number(value);
    if (Number.isSafeInteger(n)) return n;
  }
  throw new GraphQLError(`${what} ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** `DateTime`: an instant as ISO-8601 in UTC with milliseconds (`2026-01-31T06:00:00.000Z`). */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'An instant, ISO-8601 in UTC with milliseconds, e.g. 2026-01-31T06:00:00.000Z.',
  serialize(value) {
    const date = value instanceof Date ? value : typeof value === 'string' ? parseInstant(value) : undefined;
    if (date === undefined || Number.isNaN(date.getTime()))
      throw new GraphQLError('DateTime cannot represent this value');
    return date.toISOString();
  },
  parseValue(value) {
    if (typeof value !== 'string') throw new GraphQLError('DateTime must be an ISO-8601 string');
    return requireInstant(value);
  },
  parseLiteral(ast: ValueNode) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return requireInstant(ast.value);
  },
});

function parseInstant(text: string): Date | undefined {
  if (!ISO_INSTANT.test(text)) return undefined;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function requireInstant(text: string): Date {
  const date = parseInstant(text);
  if (date === undefined)
    throw new GraphQLError('DateTime must be an ISO-8601 instant with a zone, e.g. 2026-01-31T06:00:00Z');
  return date;
}
