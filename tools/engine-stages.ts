// The engine's CPU per row, stage by stage, with no database: parse the CSV (the bench's generated file),
// map and validate the records, render the canonical lines and COPY tuples, and hash the digest input:
//   node bin/run-ts.js tools/engine-stages.ts [rows] [rounds] [--drop]
// Each round runs every stage over all rows; the rows of the last stage stay alive until the next round, as
// a batch's rows do until its commit (--drop: each piece's rows are let go once rendered). A developer tool
// for the engine's per-row cost (issue 21); end to end, `tools/profile-run.ts` and `npm run bench` are the
// measures of record.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createPanProtector } from '@strongroom/compliance';
import { LineBuffer, parseRecords, SpannedRecord } from '@strongroom/connectors';
import { generateTransactionsCsv } from '@strongroom/datagen';
import { createTransactionMapper, sinkLines, type CanonicalTransaction } from '@strongroom/pipeline';
import { runWithEngineFlags } from './engine-flags';

const MAPPING = {
  txn_id: 'id',
  account: 'account_iban',
  counterparty_account: 'counterparty_iban',
  counterparty_name: 'counterparty_name',
  amount: 'amount',
  currency: 'currency',
  booked_at: 'booked_at',
  value_date: 'value_date',
  reference: 'reference',
  card_pan: 'card_number',
};

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 200_000);
  const rounds = Number(process.argv[3] ?? 5);
  // --drop: a piece's rows are not kept after rendering (what keeping them until the commit costs)
  const drop = process.argv.includes('--drop');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'engine-stages-'));
  try {
    const file = path.join(dir, 'tx.csv');
    await generateTransactionsCsv(file, { rows, badRatio: 0 });
    const bytes = fs.readFileSync(file);
    const pan = createPanProtector({ id: 'p', secret: Buffer.alloc(32, 1) });
    const header = bytes.subarray(0, bytes.indexOf(0x0a)).toString('utf8').split(',');
    const body = bytes.subarray(bytes.indexOf(0x0a) + 1);
    const mapper = createTransactionMapper(header, MAPPING, pan);
    const ctx = { sourceSystem: 'stages', runId: '00000000-0000-4000-8000-000000000001' };
    const PIECE = 1 << 20;
    let kept: unknown;
    const us = (ms: number) => ((ms * 1000) / rows).toFixed(2).padStart(6);
    for (let round = 0; round < rounds; round++) {
      const t = { parse: 0, map: 0, render: 0, hash: 0 };
      const valid: CanonicalTransaction[] = [];
      let recordNo = 0;
      // sized up front, as the run executor sizes a batch's buffers from the last batch's bytes per row
      const rendered = { canonical: new LineBuffer(rows * 200), copy: new LineBuffer(rows * 240) };
      for (let at = 0; at < body.length;) {
        let t0 = performance.now();
        const piece = body.subarray(at, Math.min(body.length, at + PIECE));
        const { records, consumed } = parseRecords(piece, { delimiter: 0x2c }, at + PIECE >= body.length);
        at += consumed;
        t.parse += performance.now() - t0;
        t0 = performance.now();
        const from = valid.length;
        for (const r of records) {
          // as the CSV source hands records on: a record parsed cleanly as it is (its fields decoded if asked)
          let m;
          if (r instanceof SpannedRecord) {
            r.recordNo = ++recordNo;
            r.byteEnd = at;
            m = mapper.map(r);
          } else {
            m = mapper.map({ recordNo: ++recordNo, fields: r.fields, raw: r.raw, byteEnd: at });
          }
          if (m.ok) valid.push(m.txn);
        }
        t.map += performance.now() - t0;
        t0 = performance.now();
        sinkLines(ctx, valid.slice(from), rendered);
        t.render += performance.now() - t0;
        if (drop) valid.length = 0;
      }
      const t0 = performance.now();
      createHash('sha256').update(rendered.canonical.bytes()).digest('hex');
      t.hash += performance.now() - t0;
      kept = valid;
      const total = t.parse + t.map + t.render + t.hash;
      console.log(
        `round ${round + 1}: µs per row: parse ${us(t.parse)}  map ${us(t.map)}  render ${us(t.render)}  hash ${us(t.hash)}  = ${us(total)}  (${recordNo} rows)`,
      );
    }
    void kept;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

runWithEngineFlags();
main().catch((err) => {
  console.error(err);
  process.exit(1);
});
