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

  it('reports a missing file and an empty file as source errors', async () => {
    await expect(openCsvSource({ path: path.join(dir, 'nope.csv') })).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE' });
    const empty = path.join(dir, 'empty.csv');
    fs.writeFileSync(empty, '\n\n');
    await expect(openCsvSource({ path: empty })).rejects.toMatchObject({ code: 'SOURCE_MALFORMED' });
  });
});
