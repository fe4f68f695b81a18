import { randomUUID } from 'node:crypto';
import { copyBytes } from '@strongroom/connectors';
import { createDataSource, pgClientOf, type DataSource, type QueryRunner } from '@strongroom/db';
import { createTestDatabase, type TestDatabase } from '@strongroom/testing';
import { prepareStaging } from './batch-writer';
import { canonicalLine } from './integrity';
import { BOOKED_ISO, SINK_COLUMNS, SINK_COPY_FORMAT, sinkLines } from './sink-lines';
import { type CanonicalTransaction } from '../types';

let no = 0;
const txn = (t: Partial<CanonicalTransaction> & { decimal?: string }): CanonicalTransaction => {
  const decimal = t.decimal ?? '1.00';
  no += 1;
  return {
    recordNo: t.recordNo ?? no,
    raw: 'raw',
    txnId: t.txnId ?? `T-${no}`,
    account: t.account ?? 'DE89370400440532013000',
    counterpartyAccount: t.counterpartyAccount ?? null,
    counterpartyName: t.counterpartyName ?? null,
    amount: { decimal, minor: /^-?[0-9]+(\.[0-9]+)?$/.test(decimal) ? BigInt(decimal.replace('.', '')) : 0n },
    currency: t.currency ?? 'EUR',
    bookedAt: t.bookedAt ?? '2026-01-02T10:00:00Z',
    valueDate: t.valueDate ?? null,
    reference: t.reference ?? null,
    cardPanToken: t.cardPanToken ?? null,
    cardPanMasked: t.cardPanMasked ?? null,
  };
};

/**
 * The sink's COPY payload is binary (issue 21: PostgreSQL then parses no numeric, timestamp or uuid text).
 * Whatever it stores must render back to the row's canonical line, the text its digest was taken over:
 * amounts of every scale and size, signs and zeros, timestamps from year 1 to 9999 with and without
 * microseconds (either side of 2000-01-01, and beyond the range where microseconds fit a double), dates,
 * text with tabs, newlines, backslashes and non-ASCII letters, nulls, and large record numbers.
 */
describe('sinkLines: binary COPY tuples', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let runner: QueryRunner;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 2 });
    await ds.initialize();
    runner = ds.createQueryRunner();
    await runner.connect();
    await prepareStaging(pgClientOf(runner));
  });
  afterAll(async () => {
    await runner?.release();
    await ds?.destroy();
    await db?.drop();
  });

  it('stores what renders back to each canonical line, with the run columns', async () => {
    const rows = [
      ...['0.00', '-0.01', '0.05', '5', '-5', '12.345', '0.0001', '10000.00', '-10000.00', '99999999.99'].map((d) =>
        txn({ decimal: d }),
      ),
      txn({ decimal: '1234567890123456789012.12' }),
      txn({ decimal: '1000000000000000000000' }),
      ...[
        '0001-01-01T00:00:00Z',
        '0001-03-01T00:00:00.000001Z',
        '1600-02-29T12:00:00Z',
        '1899-12-31T23:59:59.999999Z',
        '1969-07-20T20:17:40Z',
        '1999-12-31T23:59:59.500000Z',
        '2000-01-01T00:00:00Z',
        '2024-02-29T00:00:00.000001Z',
        '2286-01-01T00:00:00.123456Z',
        '9999-12-31T23:59:59.999999Z',
      ].map((b) => txn({ bookedAt: b })),
      ...['0001-01-01', '1900-03-01', '2000-02-29', '2100-02-28', '9999-12-31'].map((d) => txn({ valueDate: d })),
      txn({
        counterpartyName: 'Zoë Müller 北京\ttab',
        reference: 'line1\nline2\r\\back\\slash',
        counterpartyAccount: 'GB29NWBK60161331926819',
        cardPanToken: 'k1:abc_-',
        cardPanMasked: '411111******1111',
        currency: 'JPY',
      }),
      txn({ recordNo: 2 ** 40 + 3 }),
    ];
    const runId = randomUUID();
    const ctx = { sourceSystem: 'src\\tab\there', runId, checks: { aml: true } as never };
    const lines = sinkLines(ctx, rows);
    const client = pgClientOf(runner);
    await client.query('BEGIN');
    try {
      await copyBytes(client, `strongroom_stage (${SINK_COLUMNS})`, lines.copy.bytes(), SINK_COPY_FORMAT);
      const stored = await client.query<{ line: string; run: string; no: string; aml: boolean; bidx: string | null }>(
        `SELECT concat_ws(E'\\t', ${[
          'source_system',
          'txn_id',
          'account',
          'counterparty_account',
          'counterparty_name',
          'amount::text',
          'currency',
          BOOKED_ISO('booked_at'),
          'value_date::text',
          'reference',
          'card_pan_token',
          'card_pan_masked',
        ]
          .map(
            (c) =>
              `coalesce(replace(replace(replace(replace(${c}, E'\\\\', E'\\\\\\\\'), E'\\t', E'\\\\t'), E'\\n', E'\\\\n'), E'\\r', E'\\\\r'), E'\\\\N')`,
          )
          .join(
            ', ',
          )}) AS line, run_id::text AS run, source_record_no::text AS no, aml_monitored AS aml, account_bidx AS bidx
           FROM strongroom_stage ORDER BY source_record_no`,
      );
      expect(stored.rows.map((r) => r.line)).toEqual(rows.map((t) => canonicalLine(ctx.sourceSystem, t)));
      expect(stored.rows.map((r) => r.no)).toEqual(rows.map((t) => String(t.recordNo)));
      expect(new Set(stored.rows.map((r) => `${r.run} ${r.aml} ${r.bidx}`))).toEqual(new Set([`${runId} true null`]));
      // the canonical lines are the digest input, one per row: each row's canonicalLine
      expect(lines.canonical.lines).toBe(rows.length);
      expect(rows.map((_, i) => lines.canonical.text(i))).toEqual(rows.map((t) => canonicalLine(ctx.sourceSystem, t)));
      expect(lines.copy.lines).toBe(rows.length);
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('refuses a value that is not in its canonical form instead of storing something else', () => {
    const ctx = { sourceSystem: 's', runId: randomUUID() };
    expect(() => sinkLines(ctx, [txn({ decimal: '1e5' })])).toThrow(/not a plain decimal/);
    expect(() => sinkLines(ctx, [txn({ bookedAt: '2026-01-02 10:00:00+01' })])).toThrow(/not a UTC timestamp/);
    expect(() => sinkLines(ctx, [txn({ valueDate: '2026-1-2' })])).toThrow(/not a date/);
  });
});
