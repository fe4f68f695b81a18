import { parseRecords } from './csv-parser';

describe('parseRecords', () => {
  it('handles quotes, doubled quotes, embedded delimiters and line breaks', () => {
    const text = 'a,"b,1","say ""hi""","multi\r\nline"\r\nx,,z\n';
    const { records, consumed } = parseRecords(text, ',', true);
    expect(consumed).toBe(text.length);
    expect(records.map((r) => r.fields)).toEqual([
      ['a', 'b,1', 'say "hi"', 'multi\r\nline'],
      ['x', '', 'z'],
    ]);
    expect(records[0]?.raw).toBe('a,"b,1","say ""hi""","multi\r\nline"');
  });

  it('waits for more input instead of splitting a record across chunks', () => {
    const { records, consumed } = parseRecords('a,b\nc,"d\ne', ',', false);
    expect(records).toHaveLength(1);
    expect(consumed).toBe(4);
    const rest = parseRecords('c,"d\ne",f\n', ',', false);
    expect(rest.records[0]?.fields).toEqual(['c', 'd\ne', 'f']);
  });

  it('flags text after a closing quote and an unterminated quote at end of file', () => {
    const bad = parseRecords('"a"x,b\n"open,c', ',', true).records;
    expect(bad[0]?.error?.code).toBe('MALFORMED_QUOTES');
    expect(bad[1]?.error?.message).toContain('unterminated');
  });

  it('keeps a trailing empty field and supports other delimiters', () => {
    expect(parseRecords('a;b;\n', ';', true).records[0]?.fields).toEqual(['a', 'b', '']);
    expect(parseRecords('a\tb', '\t', true).records[0]?.fields).toEqual(['a', 'b']);
  });
});
