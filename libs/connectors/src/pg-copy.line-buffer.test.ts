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
