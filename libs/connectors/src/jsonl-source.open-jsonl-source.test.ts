import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseJsonPath } from './json-record';
import { openJsonlSource } from './jsonl-source';
import { type SourceRecord } from './csv-source';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-jsonl-'));
const write = (name: string, text: string | Buffer) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const PATHS = ['$.id', '$.amount.value', '$.amount.currency', 'booked', '$.parties[1].iban', '$["memo text"]'];

async function readAll(p: string, extra: Partial<Parameters<typeof openJsonlSource>[0]> = {}) {
  const src = await openJsonlSource({ path: p, paths: PATHS, ...extra });
  const out: SourceRecord[] = [];
  for await (const batch of src.records({ records: 2 })) out.push(...batch);
  src.close();
  return { header: src.header, records: out };
}

describe('openJsonlSource', () => {
  it('reads the mapped paths of each line, numbers as written (never a JS number), with exact byte offsets', async () => {
    const lines = [
      '{"id":"t1","amount":{"value":12.30,"currency":"EUR"},"booked":"2026-01-05T08:00:00Z","parties":[{"iban":"A"},{"iban":"DE89370400440532013000"}],"memo text":"rent"}',
      '',
      '{"id":"t2","amount":{"value":12345678901234567.89,"currency":"EUR"},"booked":"2026-01-05","parties":[],"memo text":null}\r',
      '{"id":"t3","amount":{"value":"7.00","currency":"USD"},"booked":"2026-01-06","flag":true}',
    ];
    const text = lines.join('\n') + '\n';
    const { header, records } = await readAll(write('a.jsonl', `\ufeff${text}`));
    expect(header).toEqual(PATHS);
    expect(records.map((r) => r.fields)).toEqual([
      ['t1', '12.30', 'EUR', '2026-01-05T08:00:00Z', 'DE89370400440532013000', 'rent'],
      ['t2', '12345678901234567.89', 'EUR', '2026-01-05', '', ''],
      ['t3', '7.00', 'USD', '2026-01-06', '', ''],
    ]);
    expect(records.map((r) => r.recordNo)).toEqual([1, 2, 3]);
    const bytes = Buffer.from(`\ufeff${text}`);
    // each byteEnd is just after its line's LF
    for (const r of records) expect(bytes[r.byteEnd - 1]).toBe(0x0a);
    expect(records[2]?.byteEnd).toBe(bytes.length);
  });

  it('costs one record for a bad line, whatever is wrong with it', async () => {
    const p = write(
      'bad.jsonl',
      [
        '{"id":"ok1","amount":{"value":1,"currency":"EUR"},"booked":"2026-01-01"}',
        '{"id":"broken","amount":{"value":1,',
        '{"id":"dup","id":"again"}',
        '[1,2,3]',
        '{"id":"obj","amount":{"value":{"x":1},"currency":"EUR"}}',
        '{"id":"ok2","amount":{"value":2,"currency":"EUR"},"booked":"2026-01-02"}',
      ].join('\n'),
    );
    const { records } = await readAll(p);
    expect(records.map((r) => [r.recordNo, r.error?.code ?? 'ok'])).toEqual([
      [1, 'ok'],
      [2, 'MALFORMED_JSON'],
      [3, 'MALFORMED_JSON'],
      [4, 'MALFORMED_JSON'],
      [5, 'MALFORMED_JSON'],
      [6, 'ok'],
    ]);
    expect(records[1]?.error?.message).toBe('not JSON: a key (a string) expected, but the line ended at column 36');
    expect(records[2]?.error?.message).toBe('not JSON: the key "id" twice at column 13');
    expect(records[3]?.error?.message).toBe('the line is not a JSON object');
    expect(records[4]?.error?.message).toBe('$.amount.value is an object, not a value');
  });

  it('keeps no card verification data in a record’s text, at any depth', async () => {
    const p = write(
      'sad.jsonl',
      '{"id":"t1","card":{"pan":"4111111111111111","cvv":"123","expiry":"12/29"},"pin":"9999","amount":{"value":1.5,"currency":"EUR"},"booked":"2026-01-01"}\n{"id":"t2","cvv":"999",\n',
    );
    const { records } = await readAll(p);
    expect(records[0]?.raw).toBe(
      '{"id":"t1","card":{"pan":"4111111111111111"},"amount":{"value":1.5,"currency":"EUR"},"booked":"2026-01-01"}',
    );
    expect(records[0]?.fields.slice(0, 3)).toEqual(['t1', '1.5', 'EUR']);
    // a line that cannot be parsed cannot be told apart from its secrets: its text is not kept
    expect(records[1]?.raw).not.toContain('999');
  });

  it('sets aside an over-long line and a line that is not UTF-8, and refuses UTF-16 with what to do', async () => {
    const long = `{"id":"${'x'.repeat(2000)}"}`;
    const p = write(
      'long.jsonl',
      Buffer.concat([
        Buffer.from(`${long}\n`),
        Buffer.from('{"id":"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}\n{"id":"t3","amount":{"value":3,"currency":"EUR"},"booked":"2026-01-03"}\n'),
      ]),
    );
    const { records } = await readAll(p, { maxRecordBytes: 1000, chunkBytes: 64 });
    expect(records.map((r) => r.error?.code ?? 'ok')).toEqual(['RECORD_TOO_LONG', 'INVALID_ENCODING', 'ok']);
    expect(records[2]?.fields[0]).toBe('t3');
    // neither keeps its text: it could hold card verification data the reader cannot find
    for (const r of records.slice(0, 2)) expect(r.raw).toMatch(/^\[record text not kept/);
    const utf16 = write(
      'utf16.jsonl',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"id":"1"}\n', 'utf16le')]),
    );
    await expect(readAll(utf16)).rejects.toThrow(/UTF-16; JSON lines must be UTF-8: convert it/);
    const noBom = write('utf16-nobom.jsonl', Buffer.from('{"id":"1"}\n', 'utf16le'));
    await expect(readAll(noBom)).rejects.toThrow(/UTF-16; JSON lines must be UTF-8/);
  });

  it('resumes at a checkpoint and reads a partition of the file, hashing exactly its bytes', async () => {
    const lines = Array.from(
      { length: 10 },
      (_, i) => `{"id":"t${i + 1}","amount":{"value":${i}.01,"currency":"EUR"}}`,
    );
    const text = `${lines.join('\n')}\n`;
    const p = write('resume.jsonl', text);
    const all = (await readAll(p)).records;
    const cut = all[3]?.byteEnd as number;
    const rest = await readAll(p, { startByte: cut, startRecordNo: 4 });
    expect(rest.records.map((r) => [r.recordNo, r.fields[0]])).toEqual(
      all.slice(4).map((r) => [r.recordNo, r.fields[0]]),
    );
    const hash = createHash('sha256');
    const part = await readAll(p, { range: { start: cut, end: all[6]?.byteEnd as number }, startRecordNo: 4, hash });
    expect(part.records.map((r) => r.fields[0])).toEqual(['t5', 't6', 't7']);
    expect(hash.digest('hex')).toBe(
      createHash('sha256').update(Buffer.from(text).subarray(cut, all[6]?.byteEnd)).digest('hex'),
    );
  });

  it('takes JSON paths with or without $, indexes and quoted keys, and refuses anything else', () => {
    expect(parseJsonPath('$.amount.value')).toEqual(['amount', 'value']);
    expect(parseJsonPath('amount.value')).toEqual(['amount', 'value']);
    expect(parseJsonPath('$.parties[1].iban')).toEqual(['parties', 1, 'iban']);
    expect(parseJsonPath('$["memo text"]')).toEqual(['memo text']);
    for (const bad of ['', '$', '$..x', 'a b', '$.a[x]', '$.a.', '$[*]'])
      expect(() => parseJsonPath(bad)).toThrow(/not a JSON path/);
  });
});
