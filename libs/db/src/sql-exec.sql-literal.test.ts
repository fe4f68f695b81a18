import { sqlLiteral } from './sql-exec';

describe('sqlLiteral', () => {
  it('doubles quotes, and writes a text with a backslash as an escape string with its backslashes doubled', () => {
    expect(sqlLiteral('plain')).toBe(`'plain'`);
    expect(sqlLiteral(`o'brien`)).toBe(`'o''brien'`);
    expect(sqlLiteral(`a\\b`)).toBe(`E'a\\\\b'`);
    expect(sqlLiteral(`\\'`)).toBe(`E'\\\\'''`);
    expect(sqlLiteral('Zoë 株式会社 🙂')).toBe(`'Zoë 株式会社 🙂'`);
    expect(sqlLiteral('')).toBe(`''`);
  });

  it('refuses a NUL character (it cannot travel in a query text: PostgreSQL would take the message for malformed)', () => {
    expect(() => sqlLiteral('user:a\0b')).toThrow(TypeError);
  });
});
