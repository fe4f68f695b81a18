// What the sink's COPY format costs PostgreSQL: the same rendered rows copied into the sink table as COPY text
// (the canonical line and the run columns, as the engine sent them before) and as binary tuples (sinkLines, as
// it sends them now), alternating, each into an emptied table:
//   node bin/run-ts.js tools/copy-format.ts [rows] [rounds] [--aml]
// --aml marks the rows AML-monitored (they then go into the AML look-back index as well).
// A developer tool; `npm run bench` is the benchmark of record.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { copyBytes, LineBuffer } from '@strongroom/connectors';
import { createDataSource, pgClientOf } from '@strongroom/db';
import {
  canonicalLine,
  SINK_COLUMNS,
  SINK_COPY_FORMAT,
  sinkLines,
  type CanonicalTransaction,
} from '@strongroom/pipeline';
import { postgresCpuSeconds } from './pg-cpu';
import { withThrowawayDatabase } from './throwaway-db';

const rows = Number(process.argv[2] ?? 300_000);
const rounds = Number(process.argv[3] ?? 3);
const aml = process.argv.includes('--aml');

/** Rows shaped like the bench's: IBANs, names, amounts with cents, timestamps within two months, some dates. */
function row(n: number): CanonicalTransaction {
  const cents = (n * 7919) % 1_000_000;
  const decimal = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
  const day = 1 + (n % 60);
  const booked = new Date(Date.UTC(2026, 8, day, n % 24, n % 60, n % 60)).toISOString().replace('.000Z', 'Z');
  return {
    recordNo: n,
    raw: '',
    txnId: `TX-${String(n).padStart(10, '0')}`,
    account: `DE${String(10 + (n % 89)).padStart(2, '0')}${String(370400440532013000n + BigInt(n % 5000)).padStart(18, '0')}`,
    counterpartyAccount: n % 3 ? `GB29NWBK${String(60161331926819 + (n % 1000))}` : null,
    counterpartyName: n % 2 ? `Counterparty ${n % 977} Ltd` : null,
    amount: { decimal, minor: BigInt(cents) },
    currency: n % 5 ? 'EUR' : 'USD',
    bookedAt: booked,
    valueDate: n % 4 ? booked.slice(0, 10) : null,
    reference: n % 2 ? `INV-${n}` : null,
    cardPanToken: null,
    cardPanMasked: null,
  };
}

async function main(): Promise<void> {
  await withThrowawayDatabase(async (cluster) => {
    const ds = createDataSource({ url: cluster.url, poolSize: 2 });
    await ds.initialize();
    const runner = ds.createQueryRunner();
    await runner.connect();
    const client = pgClientOf(runner);
    try {
      const runId = randomUUID();
      const ctx = { sourceSystem: 'copy-format', runId, checks: aml ? ({ aml: true } as never) : undefined };
      const valid = Array.from({ length: rows }, (_, i) => row(i + 1));
      // the engine's side: the canonical lines (the digest input) and the COPY rows, either way
      const renderText = () => {
        const canonical = new LineBuffer(rows * 192);
        const copy = new LineBuffer(rows * 256);
        for (const t of valid) {
          const line = canonicalLine(ctx.sourceSystem, t);
          canonical.write(line);
          canonical.endLine();
          copy.write(`${line}\t\\N\t${runId}\t${t.recordNo}\t${aml ? 't' : 'f'}`);
          copy.endLine();
        }
        return copy.bytes();
      };
      const renderBinary = () => sinkLines(ctx, valid).copy.bytes();
      let text = renderText();
      let binary = renderBinary();
      for (let r = 0; r < rounds; r++) {
        let t0 = performance.now();
        text = renderText();
        const tt = performance.now() - t0;
        t0 = performance.now();
        binary = renderBinary();
        const tb = performance.now() - t0;
        console.log(
          `render round ${r + 1}: text ${((tt / rows) * 1000).toFixed(2)} µs per row, binary ${((tb / rows) * 1000).toFixed(2)} µs per row (canonical lines included)`,
        );
      }
      console.log(`${rows} rows: text ${text.byteLength} bytes, binary ${binary.length} bytes`);
      const results: Record<string, { s: number[]; cpu: number[] }> = {
        text: { s: [], cpu: [] },
        binary: { s: [], cpu: [] },
      };
      for (let r = 0; r < rounds; r++) {
        for (const format of ['text', 'binary'] as const) {
          await client.query('TRUNCATE transactions');
          await client.query('CHECKPOINT');
          const cpu0 = postgresCpuSeconds();
          const t0 = performance.now();
          await client.query('BEGIN');
          await copyBytes(
            client,
            `transactions (${SINK_COLUMNS})`,
            format === 'text' ? text : binary,
            format === 'text' ? 'text' : SINK_COPY_FORMAT,
          );
          await client.query('COMMIT');
          const s = (performance.now() - t0) / 1000;
          const cpu = postgresCpuSeconds() - cpu0;
          results[format]!.s.push(s);
          results[format]!.cpu.push(cpu);
          console.log(
            `round ${r + 1} ${format.padEnd(6)} ${Math.round(rows / s)
              .toLocaleString('en-US')
              .padStart(9)} rows/s, PostgreSQL ${((cpu / rows) * 1e6).toFixed(2)} µs CPU per row`,
          );
        }
      }
      const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] as number;
      for (const f of ['text', 'binary'] as const)
        console.log(
          `median ${f.padEnd(6)} ${Math.round(rows / median(results[f]!.s))
            .toLocaleString('en-US')
            .padStart(9)} rows/s, ${((median(results[f]!.cpu) / rows) * 1e6).toFixed(2)} µs CPU per row`,
        );
    } finally {
      await runner.release();
      await ds.destroy();
    }
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
