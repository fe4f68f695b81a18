import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openCsvSource, type SourceRecord } from './csv-source';

async function readAll(file: string, chunkBytes: number): Promise<{ header: string[]; recs: SourceRecord[] }> {
  const src = await openCsvSource({ path: file, chunkBytes });
  const recs: SourceRecord[] = [];
  for await (const batch of src.records({ records: 3 })) recs.push(...batch);
  return { header: src.header, recs };
}

describe('openCsvSource', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csv-src-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('decodes multi-byte characters split across chunks intact, with exact byte offsets', async () => {
    const body = '\ufeffid,name\r\n1,Zoë Müller\r\n\r\n2,"日本, 東京"\r\n3,Ørsted\r\n';
    const file = path.join(dir, 'utf8.csv');
    fs.writeFileSync(file, body);
    for (const chunk of [1, 2, 3, 5, 64]) {
      const { header, recs } = await readAll(file, chunk);
      expect(header).toEqual(['id', 'name']);
      expect(recs.map((r) => r.fields[1])).toEqual(['Zoë Müller', '日本, 東京', 'Ørsted']);
      expect(recs.map((r) => r.recordNo)).toEqual([1, 2, 3]);
      const bytes = Buffer.from(body);
      expect(recs[2]?.byteEnd).toBe(bytes.length);
      // each byteEnd points just after the record's line terminator
      expect(bytes.subarray(0, recs[0]?.byteEnd).toString()).toMatch(/Zoë Müller\r\n$/);
    }
  });

  it('skips the rest of an over-long line and keeps exact offsets; resumes at a checkpoint', async () => {
    const file = path.join(dir, 'long.csv');
    const body = `id,v\n1,a\n2,${'z'.repeat(5000)}\n3,c\n4,d\n`;
    fs.writeFileSync(file, body);
    const src = await openCsvSource({ path: file, chunkBytes: 64, maxRecordBytes: 100 });
    const recs: SourceRecord[] = [];
    for await (const b of src.records({ records: 2 })) recs.push(...b);
    expect(recs.map((r) => [r.recordNo, r.error?.code ?? r.fields[1]])).toEqual([
      [1, 'a'],
      [2, 'RECORD_TOO_LONG'],
      [3, 'c'],
      [4, 'd'],
    ]);
    expect(recs[1]?.byteEnd).toBe(body.indexOf('3,c'));
    const resumed = await openCsvSource({ path: file, chunkBytes: 64, startByte: recs[2]?.byteEnd, startRecordNo: 3 });
    const rest: SourceRecord[] = [];
    for await (const b of resumed.records({ records: 10 })) rest.push(...b);
    expect(rest.map((r) => [r.recordNo, r.fields[1]])).toEqual([[4, 'd']]);
  });

  it('reads the same records and offsets from one large window as from small chunks: a long record, a too long one, quoted line breaks', async () => {
    // records of varied lengths over 1.5 MiB read in one 2 MiB window: one record of 200 KiB (within the limit;
    // quoted, with a line break), one of 1.2 MiB (over the limit), quoted line breaks
    const lines: string[] = [];
    for (let i = 1; i <= 9000; i++) {
      const v = i === 4000 ? 'y'.repeat(200 * 1024) : i === 6001 ? 'x'.repeat(1200 * 1024) : 'v'.repeat(i % 97);
      lines.push(i % 500 === 0 ? `${i},"${v}\nquoted"` : `${i},${v}`);
    }
    const body = `id,v\n${lines.join('\n')}\n`;
    const file = path.join(dir, 'slices.csv');
    fs.writeFileSync(file, body);
    const read = async (chunkBytes: number) => {
      const src = await openCsvSource({ path: file, chunkBytes });
      const recs: SourceRecord[] = [];
      for await (const batch of src.records({ records: 1024 })) recs.push(...batch);
      return recs.map((r) => [r.recordNo, r.byteEnd, r.error?.code ?? r.fields[0], r.fields[1]?.length]);
    };
    const whole = await read(2 * 1024 * 1024);
    expect(whole).toHaveLength(9000);
    expect(whole[3999]).toEqual([4000, expect.any(Number), '4000', 200 * 1024 + '\nquoted'.length]);
    expect(whole[6000]?.[2]).toBe('RECORD_TOO_LONG');
    expect(whole[8999]?.[1]).toBe(Buffer.byteLength(body));
    expect(whole.filter((r, i) => r[2] !== 'RECORD_TOO_LONG' && r[2] !== String(i + 1))).toEqual([]);
    // the same records and offsets as read through small chunks (each parsed whole)
    expect(await read(4096)).toEqual(whole);
  });

  it('hashes every byte of the file when asked, also when resuming', async () => {
    const file = path.join(dir, 'h.csv');
    fs.writeFileSync(file, 'id,v\n1,a\n2,b\n');
    const h = createHash('sha256');
    const src = await openCsvSource({ path: file, chunkBytes: 3, startByte: 9, startRecordNo: 1, hash: h });
    for await (const _ of src.records({ records: 10 })) void _;
    expect(h.digest('hex')).toBe(createHash('sha256').update(fs.readFileSync(file)).digest('hex'));
  });

  it('reports a missing file and an empty file as source errors', async () => {
    await expect(openCsvSource({ path: path.join(dir, 'nope.csv') })).rejects.toMatchObject({
      code: 'SOURCE_UNAVAILABLE',
    });
    const empty = path.join(dir, 'empty.csv');
    fs.writeFileSync(empty, '\n\n');
    await expect(openCsvSource({ path: empty })).rejects.toMatchObject({ code: 'SOURCE_MALFORMED' });
  });
});

const tempCsv = (name: string, text: string) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-sad-')), name);
  fs.writeFileSync(file, text);
  return file;
};

describe('openCsvSource drops sensitive authentication data (PCI DSS 3.3.1)', () => {
  it('drops CVV, PIN and track columns, and the expiry beside a card column, from the header, the fields and the raw text', async () => {
    const file = tempCsv(
      'sad.csv',
      'id,card_number,CVV2,Exp. Date,PIN Block,track_2,memo\n1,4111111111111111,123,12/28,0412AB,;4111=2812?,"a, b"\n2,5555555555554444,456,01/29,9F00,;5555=2901?,plain\n',
    );
    const src = await openCsvSource({ path: file });
    const batches: SourceRecord[][] = [];
    for await (const b of src.records({ records: 10 })) batches.push(b);
    expect(src.header).toEqual(['id', 'card_number', 'memo']);
    expect(src.dropped).toEqual(['CVV2', 'Exp. Date', 'PIN Block', 'track_2']);
    expect(batches.flat().map((r) => [r.fields, r.raw])).toEqual([
      [['1', '4111111111111111', 'a, b'], '1,4111111111111111,"a, b"'],
      [['2', '5555555555554444', 'plain'], '2,5555555555554444,plain'],
    ]);
  });

  it('keeps the expiry without a card column, and keeps no text of a record that does not line up', async () => {
    const plain = tempCsv('exp.csv', 'id,expiry\n1,2027-01-01\n');
    expect((await openCsvSource({ path: plain })).header).toEqual(['id', 'expiry']);
    const file = tempCsv('odd.csv', 'id,cvv,memo\n1,123,x,extra\n');
    const src = await openCsvSource({ path: file });
    const [[rec]] = await (async () => {
      const out: SourceRecord[][] = [];
      for await (const b of src.records({ records: 10 })) out.push(b);
      return out;
    })();
    expect(rec?.raw).toBe('[record text not kept: it has 4 fields for 3 columns, and the file has cvv]');
    expect(rec?.raw).not.toContain('123');
  });
});
