import { parseRecords, SpannedRecord } from './csv-parser';

const opts = (d = ',', maxRecordBytes?: number) => ({
  delimiter: d.charCodeAt(0),
  ...(maxRecordBytes ? { maxRecordBytes } : {}),
});
const parse = (text: string | Buffer, eof = true, d = ',', max?: number) =>
  parseRecords(Buffer.isBuffer(text) ? text : Buffer.from(text), opts(d, max), eof);

describe('parseRecords', () => {
  it('ends a malformed line at a CR that ends the input, as it would if more input followed', () => {
    const alone = parse('1,"never closes\r', true);
    const followed = parse('1,"never closes\r2,b\n', true);
    expect(alone.records[0]).toMatchObject({ raw: '1,"never closes', length: 16 });
    expect(followed.records[0]).toEqual(alone.records[0]);
  });

  it('handles quotes, doubled quotes, embedded delimiters and line breaks', () => {
    const text = 'a,"b,1","say ""hi""","multi\r\nline"\r\nx,,z\n';
    const { records, consumed } = parse(text);
    expect(consumed).toBe(Buffer.byteLength(text));
    expect(records.map((r) => r.fields)).toEqual([
      ['a', 'b,1', 'say "hi"', 'multi\r\nline'],
      ['x', '', 'z'],
    ]);
    expect(records[0]?.raw).toBe('a,"b,1","say ""hi""","multi\r\nline"');
  });

  it('waits for more input instead of splitting a record across chunks', () => {
    const { records, consumed } = parse('a,b\nc,"d\ne', false);
    expect(records).toHaveLength(1);
    expect(consumed).toBe(4);
    expect(parse('c,"d\ne",f\n', false).records[0]?.fields).toEqual(['c', 'd\ne', 'f']);
    expect(parse('a,b\r', false).records).toHaveLength(0); // CR at the end: LF may follow
  });

  it('counts bytes, not characters, and flags invalid UTF-8 per record', () => {
    const bad = Buffer.concat([Buffer.from('1,Zo'), Buffer.from([0xeb]), Buffer.from('\n2,Zoë\n')]);
    const { records, consumed } = parse(bad);
    expect(consumed).toBe(bad.length);
    expect(records[0]).toMatchObject({ length: 6, error: { code: 'INVALID_ENCODING' } });
    expect(records[1]).toMatchObject({ fields: ['2', 'Zoë'], length: 7 });
    expect(records[1]?.error).toBeUndefined();
  });

  it('flags text after a closing quote', () => {
    expect(parse('"a"x,b\n').records[0]?.error?.code).toBe('MALFORMED_QUOTES');
  });

  it('does not let an unterminated quote swallow the rest of the file', () => {
    const { records } = parse('e1,ok\ne2,"unterminated\ne3,ok\ne4,ok\n');
    expect(records.map((r) => [r.raw, r.error?.code])).toEqual([
      ['e1,ok', undefined],
      ['e2,"unterminated', 'MALFORMED_QUOTES'],
      ['e3,ok', undefined],
      ['e4,ok', undefined],
    ]);
  });

  it('caps a quoted field at the record limit and resumes on the next line', () => {
    const { records } = parse(`a,"xx\n${'y'.repeat(50)}"\nb,c\n`, true, ',', 40);
    expect(records[0]?.error?.code).toBe('MALFORMED_QUOTES');
    expect(records.some((r) => r.fields.join() === 'b,c')).toBe(true);
  });

  it('truncates an over-long line whose end is not in the buffer, for the caller to skip', () => {
    const { records, consumed } = parse('x'.repeat(100), false, ',', 40);
    expect(records[0]).toMatchObject({ truncated: true, error: { code: 'RECORD_TOO_LONG' } });
    expect(consumed).toBe(100);
  });

  it('keeps a trailing empty field and supports other delimiters', () => {
    expect(parse('a;b;\n', true, ';').records[0]?.fields).toEqual(['a', 'b', '']);
    expect(parse('a\tb', true, '\t').records[0]?.fields).toEqual(['a', 'b']);
  });

  it('reads back every field written, ASCII or not, quoted or not, whatever the chunk boundaries', () => {
    // a seeded generator (no dependency): the same cases every run
    let seed = 20261205;
    const rnd = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % k;
    };
    const alphabet = ['a', 'Z', '0', ' ', ',', '"', '\n', '\r\n', 'é', '€', '😀', ';', '\t'];
    const field = () => Array.from({ length: rnd(6) }, () => alphabet[rnd(alphabet.length)]).join('');
    const encode = (f: string) => (/[",\r\n]/.test(f) || rnd(4) === 0 ? `"${f.replaceAll('"', '""')}"` : f);
    const rows = Array.from({ length: 400 }, () => Array.from({ length: 1 + rnd(5) }, field));
    // a record of one empty field is an empty line; give such rows a second field
    for (const r of rows) if (r.length === 1 && r[0] === '') r.push('x');
    const text = rows.map((r) => r.map(encode).join(',')).join(rnd(2) ? '\n' : '\r\n') + '\n';
    const bytes = Buffer.from(text);
    for (const step of [7, 64, 1000, bytes.length]) {
      const got: string[][] = [];
      let rest = Buffer.alloc(0);
      for (let at = 0; at < bytes.length; at += step) {
        const buf = Buffer.concat([rest, bytes.subarray(at, at + step)]);
        const eof = at + step >= bytes.length;
        const { records, consumed } = parseRecords(buf, opts(), eof);
        for (const r of records) {
          expect(r.error).toBeUndefined();
          expect(r.raw.length).toBeGreaterThan(0);
          expect(Buffer.byteLength(r.raw)).toBeLessThanOrEqual(r.length);
          got.push(r.fields);
        }
        rest = buf.subarray(consumed);
      }
      expect(got).toEqual(rows);
    }
  });
});

describe('SpannedRecord', () => {
  it('says where each value is in the bytes, and decodes the same values and text when asked', () => {
    const rows = [
      ['plain', '12.34', ''],
      ['Zoë Müller', '株式会社', '😀 x'],
      ['say "hi"', 'a,b', 'multi\r\nline'],
      ['', '"', 'back\\slash'],
    ];
    const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    const lines = rows.map((r) => r.map(quote).join(','));
    const { records } = parse(`${lines.join('\r\n')}\n`);
    expect(records.map((r) => r instanceof SpannedRecord)).toEqual([true, true, true, true]);
    records.forEach((r, i) => {
      const rec = r as SpannedRecord;
      expect(rec.fieldCount).toBe(3);
      expect(rec.ascii).toBe(i !== 1);
      // each value from its bytes: a pair of quotes in them is one quote of the value
      const fromBytes = rows[i]?.map((_, k) => {
        const text = rec.bytes.toString('utf8', rec.fieldStart(k), rec.fieldEnd(k));
        return rec.fieldEscaped(k) ? text.replaceAll('""', '"') : text;
      });
      expect(fromBytes).toEqual(rows[i]);
      expect(rec.fields).toEqual(rows[i]);
      expect(rec.raw).toBe(lines[i]);
      expect(rec.bytes.toString('utf8', rec.start, rec.end)).toBe(lines[i]);
    });
  });

  it('tells a blank line as trimming does: white space only, in one field', () => {
    const lines = ['', '   ', '\t \v\f', ' \u00a0 ', '\u3000', ' x ', '""', ' ,', '\u00a0é', '\u0001'];
    const { records } = parse(`${lines.join('\n')}\n`);
    expect(records).toHaveLength(lines.length);
    const blank = records.map((r) => (r as SpannedRecord).blank());
    expect(blank).toEqual(records.map((r) => r.raw === '' || (r.fields.length === 1 && r.raw.trim() === '')));
    expect(blank).toEqual([true, true, true, true, true, false, false, false, false, false]);
  });
});
