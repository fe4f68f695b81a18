import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openCsvSource, type SourceRecord } from '@strongroom/connectors';
import { makeTempDir } from '@strongroom/testing';
import { planCsvPartitions } from './partition-plan';

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A CSV body with what breaks naive splitting: quoted newlines, doubled quotes, CRLF, blank lines, a BOM, UTF-8. */
function randomCsv(rnd: () => number): Buffer {
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)] as T;
  const eol = () => pick(['\n', '\r\n', '\n', '\r\n', '\r']);
  const field = () =>
    pick([
      () => String(Math.floor(rnd() * 1e6)),
      () => `"memo ${pick(['a', 'line one\nline two', 'say ""hi""', 'x,y', 'ü€', '\r\n', ''])} end"`,
      () => `"${'"'.repeat(2 * Math.floor(rnd() * 3))}"`,
      () => pick(['', ' ', 'EUR', '12.50']),
    ])();
  const lines: string[] = [pick(['', '\ufeff']) + 'id,memo,amount' + eol()];
  const n = Math.floor(rnd() * 60);
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.05)
      lines.push(eol()); // a blank line is not a record
    else if (r < 0.08)
      lines.push(`${i},"never closes,1${eol()}`); // malformed: the reader sets the line aside
    else lines.push(`${field()},${field()},${field()}${rnd() < 0.9 || i < n - 1 ? eol() : ''}`);
  }
  return Buffer.from(lines.join(''), 'utf8');
}

async function readAll(file: string, range?: { start: number; end: number }, startRecordNo = 0, startByte?: number) {
  const hash = createHash('sha256');
  const src = await openCsvSource({
    path: file,
    hash,
    chunkBytes: 7,
    ...(range ? { range, startRecordNo } : {}),
    ...(startByte !== undefined ? { startByte } : {}),
  });
  const out: SourceRecord[] = [];
  try {
    // what a record says (a record parsed cleanly decodes its fields when asked: compared by value, not by form)
    for await (const batch of src.records({ records: 3 }))
      for (const r of batch) {
        const { recordNo, fields, raw, byteEnd, error } = r;
        out.push({ recordNo, fields: [...fields], raw, byteEnd, ...(error ? { error } : {}) });
      }
  } finally {
    src.close();
  }
  return { records: out, header: src.header, sha256: hash.digest('hex') };
}

describe('planCsvPartitions', () => {
  const dir = makeTempDir();

  it('cuts only at the reader’s record boundaries: for any partition size the partitions concatenate to the file and parse into exactly the serial records', async () => {
    for (let seed = 1; seed <= 150; seed++) {
      const rnd = prng(seed);
      const body = randomCsv(rnd);
      const file = path.join(dir, `p${seed}.csv`);
      fs.writeFileSync(file, body);
      const serial = await readAll(file);
      const partitionBytes = 1 + Math.floor(rnd() * Math.max(body.length / 2, 1));
      const plan = await planCsvPartitions({ path: file, partitionBytes });
      const ctx = `seed ${seed}, ${body.length} bytes, partitions of ${partitionBytes}`;

      expect({ ctx, sha: plan.sha256 }).toEqual({ ctx, sha: createHash('sha256').update(body).digest('hex') });
      expect(plan.partitions[0]?.startByte).toBe(0);
      expect(plan.partitions[plan.partitions.length - 1]?.endByte).toBe(body.length);
      const joined: SourceRecord[] = [];
      for (const [i, p] of plan.partitions.entries()) {
        expect({ ctx, i, start: p.startByte }).toEqual({ ctx, i, start: i ? plan.partitions[i - 1]?.endByte : 0 });
        const part = await readAll(file, { start: p.startByte, end: p.endByte }, p.recordsBefore);
        expect({ ctx, i, sha: part.sha256 }).toEqual({
          ctx,
          i,
          sha: createHash('sha256').update(body.subarray(p.startByte, p.endByte)).digest('hex'),
        });
        expect({ ctx, i, sha: p.sha256 }).toEqual({ ctx, i, sha: part.sha256 });
        expect(part.header).toEqual(serial.header);
        joined.push(...part.records);
        // taken over mid-partition: from the checkpoint after any of its records, the rest of the range
        const cp = part.records[Math.floor(rnd() * part.records.length)];
        if (cp) {
          const rest = await readAll(file, { start: p.startByte, end: p.endByte }, cp.recordNo, cp.byteEnd);
          expect({ ctx, i, from: cp.recordNo, records: rest.records }).toEqual({
            ctx,
            i,
            from: cp.recordNo,
            records: part.records.filter((r) => r.recordNo > cp.recordNo),
          });
          expect(rest.sha256).toBe(part.sha256); // the whole range is still hashed
        }
      }
      expect({ ctx, records: joined }).toEqual({ ctx, records: serial.records });
    }
  });

  it('makes one partition per size step on a file with multi-line memos, none of them inside a quoted field', async () => {
    const memo = (i: number) => `"memo ${i}\nsecond line, with ""quotes"""`;
    const rows = Array.from({ length: 999 }, (_, i) => `${i},${memo(i)},${i}.00`).join('\r\n');
    const file = path.join(dir, 'memos.csv');
    fs.writeFileSync(file, `id,memo,amount\r\n${rows}\r\n`);
    const plan = await planCsvPartitions({ path: file, partitionBytes: 4096 });
    const size = fs.statSync(file).size;
    expect(plan.partitions.length).toBeGreaterThanOrEqual(Math.floor(size / 4096) - 1);
    const text = fs.readFileSync(file);
    for (const p of plan.partitions.slice(1)) {
      // each later partition starts with a whole record: its id, then the opening quote of its memo
      expect(text.subarray(p.startByte, p.startByte + 20).toString()).toMatch(/^\d+,"memo \d+\n/);
      expect(p.recordsBefore).toBe(Number(/^(\d+),/.exec(text.subarray(p.startByte).toString())?.[1]));
    }
  });

  it('keeps a file smaller than the partition size whole', async () => {
    const file = path.join(dir, 'small.csv');
    fs.writeFileSync(file, 'id,amount\n1,1.00\n2,2.00\n');
    const plan = await planCsvPartitions({ path: file, partitionBytes: 1 << 20 });
    expect(plan.partitions).toEqual([
      { partitionNo: 0, startByte: 0, endByte: 24, recordsBefore: 0, sha256: plan.sha256 },
    ]);
  });
});
