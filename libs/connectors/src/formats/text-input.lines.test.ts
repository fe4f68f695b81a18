import { TextInput } from './text-input';

async function* bytes(...parts: (string | number[])[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p);
}

async function collect(input: TextInput) {
  const out: string[] = [];
  for await (const l of input.lines()) out.push(`${l.lineNo}:${l.text}`);
  return out;
}

describe('TextInput', () => {
  it('splits LF, CRLF and CR lines, also when a CRLF or a character is split across chunks', async () => {
    const euro = Buffer.from('€', 'utf8');
    const input = new TextInput(bytes('a\r', '\nb\nc\rd', [...euro.subarray(0, 1)], [...euro.subarray(1)], '\r\n'));
    expect(await collect(input)).toEqual(['1:a', '2:b', '3:c', '4:d€']);
    expect(input.encoding).toBe('utf-8');
  });

  it('falls back to windows-1252 when the bytes are not UTF-8', async () => {
    const input = new TextInput(bytes([0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72, 0x0a, 0x80]));
    expect(await collect(input)).toEqual(['1:Müller', '2:€']);
    expect(input.encoding).toBe('windows-1252');
  });

  it('refuses a file that turns out not to be UTF-8 after non-ASCII UTF-8 text (one encoding per file)', async () => {
    const input = new TextInput(bytes('Müller\n', [0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72]));
    await expect(collect(input)).rejects.toThrow(
      /the file mixes encodings: non-ASCII UTF-8 text from byte 0, then bytes that are not UTF-8 after byte 8/,
    );
  });

  it('drops a UTF-8 byte-order mark and keeps a last line without terminator', async () => {
    expect(await collect(new TextInput(bytes([0xef, 0xbb, 0xbf], 'x\ny')))).toEqual(['1:x', '2:y']);
  });

  it('refuses a line longer than the limit', async () => {
    const input = new TextInput(bytes('x'.repeat(50)));
    await expect(async () => {
      for await (const _ of input.lines(10)) void _;
    }).rejects.toThrow('line 1: line is longer than 10 characters');
  });
});
