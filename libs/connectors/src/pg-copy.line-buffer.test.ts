import { LineBuffer } from './pg-copy';

describe('LineBuffer', () => {
  it('keeps every line as UTF-8 bytes, each ended by a newline, across growth of its buffer', () => {
    const lines = Array.from(
      { length: 500 },
      (_, i) => `${i}\tZürich ${'€'.repeat(i % 7)} 😀\t${'x'.repeat(i % 300)}\\N`,
    );
    const b = new LineBuffer(16); // far too small: it must grow many times
    for (const line of lines) {
      // a line may be written in several parts
      b.write(line.slice(0, 3));
      b.write(line.slice(3));
      b.endLine();
    }
    const all = lines.map((l) => `${l}\n`).join('');
    expect(b.lines).toBe(500);
    expect(b.bytes().equals(Buffer.from(all, 'utf8'))).toBe(true);
    expect(b.byteLength).toBe(Buffer.byteLength(all));
    expect(b.text(0)).toBe(lines[0]);
    expect(b.text(499)).toBe(lines[499]);
    expect(b.line(7).toString('utf8')).toBe(`${lines[7]}\n`);
    expect(b.span(10, 13).toString('utf8')).toBe(
      lines
        .slice(10, 13)
        .map((l) => `${l}\n`)
        .join(''),
    );
    expect(b.span(4, 4).length).toBe(0);
  });

  it('leaves an unended line out of the lines and their bytes', () => {
    const b = new LineBuffer();
    b.write('a');
    b.endLine();
    b.write('half');
    expect(b.lines).toBe(1);
    expect(b.bytes().toString()).toBe('a\n');
    expect(b.byteLength).toBe(6);
  });
});

describe('LineBuffer.columnPair', () => {
  const KINDS = ['text', 'text', 'numeric', 'timestamptz', 'date', 'text'] as const;
  // values of every kind: escapes, control characters, non-ASCII (two-, three- and four-byte UTF-8), nulls, empty
  const texts = [
    'plain',
    '',
    'tab\there',
    'line\nbreak\rreturn',
    'back\\slash \\N',
    'Zoë Müller',
    '北京 € 😀',
    'a\\\t\n\r\u0001\u007f',
    ' x '.repeat(200),
    null,
  ];
  const numerics = ['0', '-0.01', '12.345', '1234567890123456789012.1234', '10000', null];
  const stamps = ['2026-01-02T10:00:00Z', '1999-12-31T23:59:59.999999Z', '0001-01-01T00:00:00Z', null];
  const dates = ['2026-01-02', '0001-01-01', '9999-12-31', null];

  it('writes the COPY-text line and the binary tuple that writing the line and converting it give', () => {
    const rows = Array.from({ length: 400 }, (_, i) => [
      texts[i % texts.length] ?? null,
      texts[(i * 7) % texts.length] ?? null,
      numerics[i % numerics.length] ?? null,
      stamps[i % stamps.length] ?? null,
      dates[(i * 3) % dates.length] ?? null,
      texts[(i * 5 + 1) % texts.length] ?? null,
    ]);
    const escape = (v: string | null) =>
      v === null
        ? '\\N'
        : v.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] as string);
    const line = new LineBuffer(16); // both grow many times
    const tuple = new LineBuffer(16);
    const expectedLines = new LineBuffer();
    const expectedTuples = new LineBuffer();
    for (const row of rows) {
      row.forEach((v, k) => line.columnPair(v, KINDS[k] as (typeof KINDS)[number], tuple, k === 0));
      line.endLine();
      tuple.endRow();
      expectedLines.write(row.map(escape).join('\t'));
      expectedLines.endLine();
      expectedTuples.copyLineToBinary(expectedLines, expectedLines.lines - 1, KINDS);
      expectedTuples.endRow();
    }
    expect(line.bytes().toString('utf8')).toBe(expectedLines.bytes().toString('utf8'));
    expect(tuple.bytes().equals(expectedTuples.bytes())).toBe(true);
    expect(tuple.lines).toBe(rows.length);
  });

  it('columnPairBytes: from a value’s UTF-8 bytes (a CSV field’s, quotes doubled or not), the bytes columnPair writes', () => {
    const rows = Array.from({ length: 200 }, (_, i) => [
      texts[i % texts.length] ?? 'x',
      numerics[i % (numerics.length - 1)] as string,
      stamps[i % (stamps.length - 1)] as string,
      dates[i % (dates.length - 1)] as string,
      `say "${texts[(i * 3) % texts.length] ?? ''}" ""`,
    ]);
    const kinds = ['text', 'numeric', 'timestamptz', 'date', 'text'] as const;
    const [line, tuple, expectedLine, expectedTuple] = [1, 2, 3, 4].map(() => new LineBuffer(16)) as LineBuffer[];
    for (const row of rows) {
      line?.columnPair('first', 'text', tuple as LineBuffer, true);
      expectedLine?.columnPair('first', 'text', expectedTuple as LineBuffer, true);
      row.forEach((v, k) => {
        // the last value as a quoted CSV field holds it: each quote doubled, inside other bytes
        const doubled = k === 4;
        const field = Buffer.from(`ab,${doubled ? v.replace(/"/g, '""') : v},cd`, 'utf8');
        line?.columnPairBytes(
          field,
          3,
          field.length - 3,
          kinds[k] as (typeof kinds)[number],
          tuple as LineBuffer,
          doubled,
        );
        expectedLine?.columnPair(v, kinds[k] as (typeof kinds)[number], expectedTuple as LineBuffer);
      });
      line?.endLine();
      expectedLine?.endLine();
      tuple?.endRow();
      expectedTuple?.endRow();
    }
    expect(line?.bytes().equals(expectedLine?.bytes() as Buffer)).toBe(true);
    expect(tuple?.bytes().equals(expectedTuple?.bytes() as Buffer)).toBe(true);
    expect(() => new LineBuffer().columnPairBytes(Buffer.from('1e5'), 0, 3, 'numeric', new LineBuffer())).toThrow(
      /not a plain decimal: 1e5/,
    );
  });

  it('refuses a typed value that is not in its form', () => {
    const t = new LineBuffer();
    expect(() => new LineBuffer().columnPair('1e5', 'numeric', t)).toThrow(/not a plain decimal/);
    expect(() => new LineBuffer().columnPair('1 000', 'numeric', t)).toThrow(/not a plain decimal: 1 000/);
    expect(() => new LineBuffer().columnPair('2026-01-02 10:00:00Z', 'timestamptz', t)).toThrow(/not a UTC timestamp/);
    expect(() => new LineBuffer().columnPair('2026-1-2', 'date', t)).toThrow(/not a date/);
    expect(() => new LineBuffer().columnPair('2026-01-0\\', 'date', t)).toThrow(/not a date/);
  });
});
