/**
 * AML transaction-monitoring rules, evaluated while loading, inside each batch's transaction.
 *
 * Each rule but HIGH_RISK_JURISDICTION (see highRiskJurisdiction) is one set-based SQL statement over
 * the batch's freshly loaded rows (`b`) and, for the pattern rules, the account's history in the sink
 * (grouped by the account's blind index when it is stored encrypted) across batches and runs of the jobs
 * that monitor AML (`aml_monitored`) — so the state a rule needs
 * ("three deposits just under the threshold this day") is the data itself, exact (`numeric`, never a
 * JS number) and consistent with what was committed. An alert is inserted with its rule, a score and
 * its evidence; `(rule, dedupe_key)` is unique, so a resumed or replayed batch raises nothing twice.
 *
 * Parameters of every statement: $1 run id, $2 first and $3 last source_record_no of the batch, $4 job
 * id, $5 the AmlConfig as JSON, $6 and $7 the lowest and highest sink id the batch's rows can have (the
 * sink finds a run's rows by id ranges, not by an index on the run); each is an INSERT whose row count is the
 * number of alerts it raised. The per-row rules (`candidates: true`) also take $8, the record
 * numbers amlCandidates keeps (or null for all); VELOCITY (`clustered: true`) takes as $8 the record numbers
 * velocityClustered lists (or null: all set-based). This module only builds the statements; the pipeline runs them.
 */

export interface AmlConfig {
  /** Large cash/currency transaction report threshold, USD equivalent (decimal string). */
  largeTransactionUsd: string;
  /** Several amounts just under the threshold on one account within a window. */
  structuring: { windowHours: number; minCount: number; bandPercent: number };
  /** Too many transactions, or too much value, on one account within a window. */
  velocity: { windowHours: number; maxCount: number; maxAmountUsd: string };
  /** A large amount that is an exact multiple of a round figure (in the transaction's currency). */
  roundAmount: { minAmount: string; multipleOf: string };
  /** ISO 3166 country codes (from IBANs of the account or the counterparty) treated as high risk. */
  highRiskCountries: string[];
  /** Money in and out again: a debit within the window after a credit of about the same amount. */
  rapidMovement: { windowHours: number; tolerancePercent: number; minAmountUsd: string };
  /** Conversion to USD per currency (decimal strings). Amounts in a currency without a rate skip the USD-based rules. */
  fxToUsd: Record<string, string>;
}

/**
 * Defaults. The FX table is a static, illustrative snapshot: supply current rates in the job's
 * `compliance.aml.fxToUsd` (documented in docs/compliance.md). High-risk countries: FATF "call for
 * action" (KP, IR, MM) plus comprehensively sanctioned jurisdictions (CU, SY).
 */
export const DEFAULT_AML_CONFIG: AmlConfig = {
  largeTransactionUsd: '10000',
  structuring: { windowHours: 72, minCount: 3, bandPercent: 10 },
  velocity: { windowHours: 1, maxCount: 20, maxAmountUsd: '100000' },
  roundAmount: { minAmount: '5000', multipleOf: '1000' },
  highRiskCountries: ['KP', 'IR', 'MM', 'CU', 'SY'],
  rapidMovement: { windowHours: 48, tolerancePercent: 5, minAmountUsd: '5000' },
  fxToUsd: {
    USD: '1',
    EUR: '1.08',
    GBP: '1.27',
    CHF: '1.13',
    JPY: '0.0067',
    CAD: '0.73',
    AUD: '0.66',
    SEK: '0.095',
    NOK: '0.094',
    DKK: '0.145',
    BHD: '2.65',
    KWD: '3.25',
  },
};

export type AmlRule =
  'LARGE_TRANSACTION' | 'STRUCTURING' | 'VELOCITY' | 'ROUND_AMOUNT' | 'HIGH_RISK_JURISDICTION' | 'RAPID_MOVEMENT';

/**
 * HIGH_RISK_JURISDICTION (score 50): the account or the counterparty account is an IBAN of a high-risk
 * country. Evaluated on the clear values in memory (they may be stored encrypted), not in SQL.
 */
export const HIGH_RISK_SCORE = 50;
export function highRiskJurisdiction(
  account: string,
  counterpartyAccount: string | null,
  countries: readonly string[],
): { field: string; country: string } | undefined {
  return (
    ibanOfCountry('counterparty_account', counterpartyAccount, countries) ??
    ibanOfCountry('account', account, countries)
  );
}

const IBAN_SHAPE = /^[A-Z]{2}[0-9]{2}[A-Z0-9]{8,30}$/;

/**
 * The value's country when it is an IBAN (in either case) of one of `countries`. Called for every row: a value
 * whose first two characters are ASCII and name no listed country is answered from those two characters, with
 * nothing allocated; any other value is upper-cased and matched whole.
 */
function ibanOfCountry(
  field: string,
  value: string | null,
  countries: readonly string[],
): { field: string; country: string } | undefined {
  if (!value) return undefined;
  const a = value.charCodeAt(0);
  const b = value.charCodeAt(1);
  if (a < 0x80 && b < 0x80) {
    // ASCII upper-cases on its own: the country is these two characters upper-cased
    const A = a >= 97 && a <= 122 ? a - 32 : a;
    const B = b >= 97 && b <= 122 ? b - 32 : b;
    let listed = false;
    for (const c of countries) if (c.charCodeAt(0) === A && c.charCodeAt(1) === B && c.length === 2) listed = true;
    if (!listed) return undefined;
  }
  const iban = value.toUpperCase();
  return IBAN_SHAPE.test(iban) && countries.includes(iban.slice(0, 2))
    ? { field, country: iban.slice(0, 2) }
    : undefined;
}

export interface AmlRuleDefinition {
  rule: AmlRule;
  /** Base score 0–100 (how strongly the rule alone suggests money laundering). */
  score: number;
  description: string;
  sql: string;
  /**
   * The statement takes an eighth parameter: the batch's candidate record numbers (amlCandidates), or
   * null for all of them. It still applies its own exact predicate to each candidate.
   */
  candidates?: boolean;
  /**
   * The statement takes an eighth parameter: the batch's record numbers that share their account's window with
   * another of its rows (velocityClustered), or null for all of them. Rows not listed are checked with one probe
   * each, the listed ones set-based; the result does not depend on the list, only the cost does.
   */
  clustered?: boolean;
}

// the batch's rows with their USD rate, restricted to the candidate record numbers $8 (null: the whole batch)
const CANDIDATES = `
  b AS (SELECT t.*, (($5::jsonb -> 'fxToUsd') ->> t.currency)::numeric AS rate
          FROM transactions t WHERE t.id BETWEEN $6 AND $7 AND t.run_id = $1 AND t.source_record_no BETWEEN $2 AND $3
           AND ($8::bigint[] IS NULL OR t.source_record_no = ANY($8::bigint[])))`;
// each statement inserts its alerts; its row count is how many it raised (an alert already raised is not counted)
const INSERT = `INSERT INTO compliance_alerts (rule, dedupe_key, score, source_system, txn_id, account, booked_at, job_id, run_id, evidence)`;
const DONE = `ON CONFLICT (rule, dedupe_key) DO NOTHING`;
const TXN_KEY = `'txn:' || b.source_system || ':' || b.txn_id`;
const windowKey = (hours: string) =>
  `'acct:' || coalesce(b.account_bidx, b.account) || ':' || floor(extract(epoch FROM b.booked_at) / (${hours} * 3600))::bigint`;
// an account's monitored transactions (rows of AML jobs: the look-back index covers only those), by its blind
// index when the account is stored encrypted
const SAME_ACCOUNT = `h.aml_monitored AND coalesce(h.account_bidx, h.account) = coalesce(b.account_bidx, b.account)`;
// the batch's rows for VELOCITY: only what it reads (the statement reads them three times: they are materialized)
const VELOCITY_BATCH = `
  b AS (SELECT t.id, t.booked_at, t.account, t.account_bidx, t.source_record_no, t.source_system, t.txn_id
          FROM transactions t WHERE t.id BETWEEN $6 AND $7 AND t.run_id = $1 AND t.source_record_no BETWEEN $2 AND $3)`;
// \`done\`: the window keys (\`dedupe\`) of \`rows\` whose alert of \`rule\` exists already; \`m\`: the other rows. A row of an
// alerted window could only conflict, so it is not worked (on a busy account most windows are alerted by an earlier
// batch, and their history is not read again)
const unalerted = (rule: AmlRule, rows: string) => `
      done AS (SELECT k.dedupe FROM (SELECT DISTINCT dedupe FROM ${rows}) k
                CROSS JOIN LATERAL (SELECT 1 FROM compliance_alerts x WHERE x.rule = '${rule}' AND x.dedupe_key = k.dedupe LIMIT 1) e),
      m AS (SELECT * FROM ${rows} WHERE dedupe NOT IN (SELECT dedupe FROM done))`;
// \`s\` and \`i\`: the rows of \`rows\` (with \`key\` and \`booked_at\`) cut into islands per key: a booking time less than the
// window (\`c.span\`) after the one before continues its island
const islands = (rows: string) => `
      s AS (SELECT x.*, CASE WHEN x.booked_at - lag(x.booked_at) OVER (PARTITION BY x.key ORDER BY x.booked_at) < c.span THEN 0 ELSE 1 END AS starts
              FROM ${rows} x CROSS JOIN c),
      i AS (SELECT s.*, sum(s.starts) OVER (PARTITION BY s.key ORDER BY s.booked_at ROWS UNBOUNDED PRECEDING) AS island FROM s)`;
// \`r\`: each island's first and last booking time
const ISLAND_RANGES = `r AS (SELECT key, min(booked_at) AS first, max(booked_at) AS last FROM i GROUP BY key, island)`;
// the velocity window as an interval (a frame offset may not refer to a column, so it is written out where used)
const VELOCITY_SPAN = `make_interval(secs => ($5::jsonb #>> '{velocity,windowHours}')::numeric * 3600)`;
// the structuring window as an interval (written out where a frame offset needs it)
const STRUCTURING_SPAN = `make_interval(secs => ($5::jsonb #>> '{structuring,windowHours}')::numeric * 3600)`;
// how many of an account's most recent rows a RAPID_MOVEMENT debit's probe reads before the debit is matched set-based
const RAPID_PROBE = 16;
// the unsettled debits per window of an island's span from which they are matched set-based (a probe that finds
// its match early reads less than its window: the set-based reading must save several windows' reads)
const RAPID_SET_BASED = 4;
const HISTORY_RATE = `CROSS JOIN LATERAL (SELECT (($5::jsonb -> 'fxToUsd') ->> h.currency)::numeric AS rate) hr`;

export const AML_RULES: readonly AmlRuleDefinition[] = [
  {
    rule: 'LARGE_TRANSACTION',
    score: 60,
    description:
      'Amount at or above the large-transaction threshold (USD equivalent), as for a currency transaction report',
    candidates: true,
    sql: `WITH ${CANDIDATES}, c AS (SELECT ($5::jsonb ->> 'largeTransactionUsd')::numeric AS th)
      ${INSERT}
      SELECT 'LARGE_TRANSACTION', ${TXN_KEY}, 60, b.source_system, b.txn_id, b.account, b.booked_at, $4, $1,
             jsonb_build_object('amount', b.amount::text, 'currency', b.currency, 'usdEquivalent', round(abs(b.amount) * b.rate, 2)::text,
                                'thresholdUsd', c.th::text)
        FROM b CROSS JOIN c
       WHERE b.rate IS NOT NULL AND abs(b.amount) * b.rate >= c.th
      ${DONE}`,
  },
  {
    rule: 'STRUCTURING',
    score: 75,
    description:
      'Several amounts just under the threshold on one account within the window (smurfing), across batches and runs',
    candidates: true,
    // A row in the band breaches when its window (the account's monitored rows in the band booked less than a
    // window before it, up to its own time) holds at least min_count of them. Worked set-based, as VELOCITY's busy
    // rows are: the batch's rows in the band are cut into islands per account, each island's history read once,
    // each row's count and USD total taken by a window function. A row whose account window already has its alert
    // is left out (its insert could only conflict). Each account window's alert describes its first breaching row
    // (booking time, then id) and lists the first 20 transactions of that row's window.
    sql: `WITH ${CANDIDATES},
      c AS (SELECT ($5::jsonb ->> 'largeTransactionUsd')::numeric AS th,
                   ($5::jsonb ->> 'largeTransactionUsd')::numeric * (1 - ($5::jsonb #>> '{structuring,bandPercent}')::numeric / 100) AS lo,
                   ($5::jsonb #>> '{structuring,windowHours}')::numeric AS hours,
                   ($5::jsonb #>> '{structuring,minCount}')::int AS min_count, ${STRUCTURING_SPAN} AS span),
      m0 AS (SELECT b.id, b.booked_at, coalesce(b.account_bidx, b.account) AS key, ${windowKey('c.hours')} AS dedupe FROM b CROSS JOIN c
              WHERE b.rate IS NOT NULL AND abs(b.amount) * b.rate >= c.lo AND abs(b.amount) * b.rate < c.th),
      ${unalerted('STRUCTURING', 'm0')},
      ${islands('m')},
      ${ISLAND_RANGES},
      -- each island's rows in the band, read once (OFFSET 0 keeps it an index range scan per island)
      h AS (SELECT r.key, x.*, x.id IN (SELECT id FROM m) AS mine
              FROM r CROSS JOIN c
              CROSS JOIN LATERAL (
                SELECT h.id, h.booked_at, h.source_system, h.txn_id, h.account, h.account_bidx, abs(h.amount) * hr.rate AS usd
                  FROM transactions h ${HISTORY_RATE}
                 WHERE h.aml_monitored AND coalesce(h.account_bidx, h.account) = r.key
                   AND h.booked_at > r.first - c.span AND h.booked_at <= r.last
                   AND hr.rate IS NOT NULL AND abs(h.amount) * hr.rate >= c.lo AND abs(h.amount) * hr.rate < c.th OFFSET 0) x),
      w AS (SELECT h.*, count(*) OVER win AS n, sum(usd) OVER win AS total FROM h
             WINDOW win AS (PARTITION BY key ORDER BY booked_at RANGE BETWEEN ${STRUCTURING_SPAN} - interval '1 microsecond' PRECEDING AND CURRENT ROW)),
      -- each account window's first breaching row (named b, as the window key and SAME_ACCOUNT expect)
      hit AS (SELECT DISTINCT ON (k.dedupe) k.dedupe, b.source_system, b.txn_id, b.account, b.account_bidx, b.booked_at, b.n, b.total
                FROM w b CROSS JOIN c CROSS JOIN LATERAL (SELECT ${windowKey('c.hours')} AS dedupe) k
               WHERE b.mine AND b.n >= c.min_count
               ORDER BY k.dedupe, b.booked_at, b.id)
      ${INSERT}
      SELECT 'STRUCTURING', b.dedupe, 75, b.source_system, b.txn_id, b.account, b.booked_at, $4, $1,
             jsonb_build_object('count', b.n, 'windowHours', c.hours, 'totalUsd', round(b.total, 2)::text,
                                'bandUsd', jsonb_build_array(round(c.lo, 2)::text, c.th::text), 'transactions', l.ids)
        FROM hit b CROSS JOIN c
        -- the alert's window listed (one read per alert, not per row)
        CROSS JOIN LATERAL (
          SELECT to_jsonb((array_agg(h.source_system || ':' || h.txn_id ORDER BY h.booked_at, h.id))[1:20]) AS ids
            FROM transactions h ${HISTORY_RATE}
           WHERE ${SAME_ACCOUNT} AND h.booked_at > b.booked_at - c.span AND h.booked_at <= b.booked_at
             AND hr.rate IS NOT NULL AND abs(h.amount) * hr.rate >= c.lo AND abs(h.amount) * hr.rate < c.th) l
      ${DONE}`,
  },
  {
    rule: 'VELOCITY',
    score: 50,
    description:
      'More transactions, or more value (USD equivalent), on one account within the window than the limits allow',
    clustered: true,
    // A row's window: the account's monitored rows booked less than a window before it, up to its own time (rows
    // booked at the same time included). A row alone in its account's window within the batch (not in $8) reads
    // its window with one probe. The others (all rows when $8 is null) are worked set-based: a probe per row would
    // read each row's whole window, so an account with k rows in a window would cost k² row reads. Their booking
    // times per account are cut into islands (a time less than a window after the one before continues its
    // island), each island's history is read once (from a window before its first time to its last; the islands
    // of an account never read a row twice), and each row's count and USD total come from a window function
    // over that history. Of the rows that breach a limit, each account window's alert describes the first
    // (booking time, then id).
    sql: `WITH ${VELOCITY_BATCH},
      c AS (SELECT ($5::jsonb #>> '{velocity,windowHours}')::numeric AS hours, ($5::jsonb #>> '{velocity,maxCount}')::int AS max_count,
                   ($5::jsonb #>> '{velocity,maxAmountUsd}')::numeric AS max_usd, ${VELOCITY_SPAN} AS span),
      p AS (SELECT b.id, b.source_system, b.txn_id, b.account, b.account_bidx, b.booked_at, w.n, w.total
              FROM b CROSS JOIN c
              CROSS JOIN LATERAL (
                SELECT count(*) AS n, coalesce(sum(abs(h.amount) * hr.rate), 0) AS total
                  FROM transactions h ${HISTORY_RATE}
                 WHERE ${SAME_ACCOUNT} AND h.booked_at > b.booked_at - c.span AND h.booked_at <= b.booked_at) w
             WHERE $8::bigint[] IS NOT NULL AND b.source_record_no <> ALL ($8::bigint[]) AND (w.n > c.max_count OR w.total > c.max_usd)),
      -- the set-based rows, less those whose account window already has its alert (its insert could only conflict):
      -- on a busy account most windows are alerted by an earlier batch, and their history is not read again
      m0 AS (SELECT b.*, coalesce(b.account_bidx, b.account) AS key, ${windowKey('c.hours')} AS dedupe FROM b CROSS JOIN c
              WHERE $8::bigint[] IS NULL OR b.source_record_no = ANY ($8::bigint[])),
      ${unalerted('VELOCITY', 'm0')},
      ${islands('m')},
      ${ISLAND_RANGES},
      -- OFFSET 0 keeps the read per island (an index range scan), whatever the planner estimates: never a scan of the sink
      h AS (SELECT r.key, x.id, x.booked_at, x.source_system, x.txn_id, x.account, x.account_bidx,
                   abs(x.amount) * (($5::jsonb -> 'fxToUsd') ->> x.currency)::numeric AS usd,
                   (x.id BETWEEN $6 AND $7 AND x.run_id = $1 AND x.source_record_no BETWEEN $2 AND $3
                    AND ($8::bigint[] IS NULL OR x.source_record_no = ANY ($8::bigint[]))) AS mine
              FROM r
              CROSS JOIN LATERAL (
                SELECT h.id, h.booked_at, h.amount, h.currency, h.run_id, h.source_record_no, h.source_system, h.txn_id, h.account, h.account_bidx
                  FROM transactions h
                 WHERE h.aml_monitored AND coalesce(h.account_bidx, h.account) = r.key
                   AND h.booked_at > r.first - ${VELOCITY_SPAN} AND h.booked_at <= r.last OFFSET 0) x),
      w AS (SELECT h.*, count(*) OVER win AS n, coalesce(sum(usd) OVER win, 0) AS total FROM h
             WINDOW win AS (PARTITION BY key ORDER BY booked_at RANGE BETWEEN ${VELOCITY_SPAN} - interval '1 microsecond' PRECEDING AND CURRENT ROW)),
      -- the batch's rows that breach a limit, with what their alert names (no join: no plan that reads the sink whole)
      a AS (SELECT id, source_system, txn_id, account, account_bidx, booked_at, n, total FROM p
            UNION ALL
            SELECT w.id, w.source_system, w.txn_id, w.account, w.account_bidx, w.booked_at, w.n, w.total
              FROM w CROSS JOIN c WHERE w.mine AND (w.n > c.max_count OR w.total > c.max_usd)),
      -- each account window's first breaching row (named b, as the window key expects)
      hit AS (SELECT DISTINCT ON (k.dedupe) k.dedupe, b.source_system, b.txn_id, b.account, b.booked_at, b.n, b.total
                FROM a b CROSS JOIN c CROSS JOIN LATERAL (SELECT ${windowKey('c.hours')} AS dedupe) k
               ORDER BY k.dedupe, b.booked_at, b.id)
      ${INSERT}
      SELECT 'VELOCITY', hit.dedupe, 50, hit.source_system, hit.txn_id, hit.account, hit.booked_at, $4, $1,
             jsonb_build_object('count', hit.n, 'maxCount', c.max_count, 'totalUsd', round(hit.total, 2)::text, 'maxAmountUsd', c.max_usd::text,
                                'windowHours', c.hours)
        FROM hit CROSS JOIN c
      ${DONE}`,
  },
  {
    rule: 'ROUND_AMOUNT',
    score: 20,
    description: 'A large amount that is an exact multiple of a round figure',
    candidates: true,
    sql: `WITH ${CANDIDATES},
      c AS (SELECT ($5::jsonb #>> '{roundAmount,minAmount}')::numeric AS min_amount, ($5::jsonb #>> '{roundAmount,multipleOf}')::numeric AS multiple)
      ${INSERT}
      SELECT 'ROUND_AMOUNT', ${TXN_KEY}, 20, b.source_system, b.txn_id, b.account, b.booked_at, $4, $1,
             jsonb_build_object('amount', b.amount::text, 'currency', b.currency, 'multipleOf', c.multiple::text)
        FROM b CROSS JOIN c
       WHERE abs(b.amount) >= c.min_amount AND c.multiple > 0 AND mod(abs(b.amount), c.multiple) = 0
      ${DONE}`,
  },
  {
    rule: 'RAPID_MOVEMENT',
    score: 55,
    description:
      'Funds in and out again: a debit within the window after a credit of about the same amount on the same account',
    candidates: true,
    // A debit (at least the minimum in USD) names the latest credit (booking time, then id) of the same account and
    // currency booked within the window before it, whose amount is within the tolerance of the debit's. Each debit
    // first reads the account's RAPID_PROBE most recent rows of its window (one index probe). The debits left (no
    // match there, more rows behind) are cut into islands per account. Where an island has RAPID_SET_BASED debits or
    // more per window it spans (an account paying out far more often than it is paid: a probe per debit would read
    // its whole window), its credits are read once, grouped by currency and amount band (log-spaced bands as wide as
    // the tolerance), and each debit looks only at the credits of the bands its tolerance reaches, latest first.
    // Elsewhere each debit probes on until its match or the window's start, as a probe per row did. The choice
    // decides only the cost, never the result.
    sql: `WITH ${CANDIDATES},
      c AS (SELECT ($5::jsonb #>> '{rapidMovement,windowHours}')::numeric AS hours, ($5::jsonb #>> '{rapidMovement,tolerancePercent}')::numeric / 100 AS tol,
                   ($5::jsonb #>> '{rapidMovement,minAmountUsd}')::numeric AS min_usd,
                   make_interval(secs => ($5::jsonb #>> '{rapidMovement,windowHours}')::numeric * 3600) AS span,
                   ($5::jsonb #>> '{rapidMovement,windowHours}')::float8 * 3600 AS span_s),
      -- the width of an amount band (natural log); none for a tolerance of 0 or of 100 % and more (one band)
      bw AS (SELECT CASE WHEN c.tol > 0 AND c.tol < 1 THEN ln(((1 + c.tol) / (1 - c.tol))::float8) END AS w FROM c),
      d AS (SELECT b.id, b.source_system, b.txn_id, b.account, b.account_bidx, b.booked_at, b.amount, b.currency,
                   coalesce(b.account_bidx, b.account) AS key
              FROM b CROSS JOIN c WHERE b.amount < 0 AND b.rate IS NOT NULL AND -b.amount * b.rate >= c.min_usd),
      -- the probe: the account's most recent rows of the debit's window (by booking time only: no sort per debit),
      -- how many there were, the time of the earliest, and their latest match as one number (microseconds since the
      -- epoch * 10^19 + id: the latest booking time, then the highest id). A match at the earliest time of a full probe
      -- does not settle the debit: rows of the same time may lie behind it.
      p AS (SELECT d.*, m.n, m.t_last,
                   CASE WHEN m.hit_at IS NOT NULL AND (m.n < ${RAPID_PROBE} OR m.hit_at > m.t_last)
                        THEN (m.top - floor(m.top / 10000000000000000000) * 10000000000000000000)::bigint END AS cid
              FROM d CROSS JOIN c
              CROSS JOIN LATERAL (
                SELECT count(*) AS n, min(r.booked_at) AS t_last, max(r.booked_at) FILTER (WHERE r.hit) AS hit_at,
                       max((extract(epoch FROM r.booked_at) * 1000000) * 10000000000000000000 + r.id) FILTER (WHERE r.hit) AS top
                  FROM (
                    SELECT h.id, h.booked_at,
                           (h.currency = d.currency AND h.amount > 0 AND -d.amount BETWEEN h.amount * (1 - c.tol) AND h.amount * (1 + c.tol)) AS hit
                      FROM transactions h
                     WHERE h.aml_monitored AND coalesce(h.account_bidx, h.account) = d.key
                       AND h.booked_at >= d.booked_at - c.span AND h.booked_at <= d.booked_at
                     ORDER BY h.booked_at DESC LIMIT ${RAPID_PROBE}) r) m),
      -- the probe's matches with their credit (OFFSET 0: a lookup by id per match)
      pm AS (SELECT p.source_system, p.txn_id, p.account, p.booked_at, p.amount, p.currency, x.cat, x.camount, x.cref
               FROM p CROSS JOIN LATERAL (
                 SELECT h.booked_at AS cat, h.amount AS camount, h.source_system || ':' || h.txn_id AS cref
                   FROM transactions h WHERE h.id = p.cid OFFSET 0) x),
      -- the debits the probe could not settle, in islands per account, each island with its debits and its span
      unsettled AS (SELECT * FROM p WHERE p.cid IS NULL AND p.n = ${RAPID_PROBE}),
      ${islands('unsettled')},
      hx AS (SELECT i.*, count(*) OVER isl AS debits, min(i.booked_at) OVER isl AS first, max(i.booked_at) OVER isl AS last
               FROM i WINDOW isl AS (PARTITION BY key, island)),
      -- set-based where the island has at least ${RAPID_SET_BASED} debits per window its rows span (first − window … last):
      -- each debit's probe would read up to a window of the account's rows, the set-based reading reads the span once
      hd AS (SELECT hx.*, hx.debits >= ${RAPID_SET_BASED} * (1 + extract(epoch FROM hx.last - hx.first)::float8 / c.span_s) AS set_based
               FROM hx CROSS JOIN c),
      -- the set-based islands, each with its debits
      r AS (SELECT key, min(first) AS first, max(last) AS last,
                   array_agg(id) AS ids, array_agg(booked_at) AS ats, array_agg(amount) AS amounts, array_agg(currency) AS currencies,
                   array_agg(source_system) AS systems, array_agg(txn_id) AS txns, array_agg(account) AS accounts
              FROM hd WHERE set_based GROUP BY key, island),
      -- per island (so that a debit is only ever compared with its own account's credits): the island's credits, read
      -- once, by currency and amount band; each debit looks at the bands of the amounts its tolerance reaches, and
      -- one more on each side (float rounding), latest credit first
      hm AS (SELECT x.* FROM r CROSS JOIN c CROSS JOIN bw
               CROSS JOIN LATERAL (
                 WITH g AS (SELECT h.currency, coalesce(floor(ln(h.amount::float8) / bw.w)::bigint, 0) AS band,
                                   array_agg(h.id ORDER BY h.booked_at DESC, h.id DESC) AS ids,
                                   array_agg(h.booked_at ORDER BY h.booked_at DESC, h.id DESC) AS ats,
                                   array_agg(h.amount ORDER BY h.booked_at DESC, h.id DESC) AS amounts,
                                   array_agg(h.source_system || ':' || h.txn_id ORDER BY h.booked_at DESC, h.id DESC) AS refs
                              FROM transactions h
                             WHERE h.aml_monitored AND coalesce(h.account_bidx, h.account) = r.key
                               AND h.booked_at >= r.first - c.span AND h.booked_at <= r.last AND h.amount > 0
                             GROUP BY 1, 2)
                 SELECT DISTINCT ON (d.id) d.source_system, d.txn_id, d.account, d.booked_at, d.amount, d.currency,
                        u.cat, u.camount, u.cref
                   FROM unnest(r.ids, r.ats, r.amounts, r.currencies, r.systems, r.txns, r.accounts)
                          AS d(id, booked_at, amount, currency, source_system, txn_id, account)
                   JOIN g ON g.currency = d.currency
                         AND g.band BETWEEN CASE WHEN bw.w IS NULL THEN 0 ELSE floor(ln((-d.amount / (1 + c.tol))::float8) / bw.w)::bigint - 1 END
                                        AND CASE WHEN bw.w IS NULL THEN 0 ELSE floor(ln((-d.amount / (1 - c.tol))::float8) / bw.w)::bigint + 1 END
                   CROSS JOIN LATERAL (
                     SELECT u.* FROM unnest(g.ids, g.ats, g.amounts, g.refs) WITH ORDINALITY AS u(cid, cat, camount, cref, o)
                      WHERE u.cat >= d.booked_at - c.span AND u.cat <= d.booked_at
                        AND -d.amount BETWEEN u.camount * (1 - c.tol) AND u.camount * (1 + c.tol)
                      ORDER BY u.o LIMIT 1) u
                  ORDER BY d.id, u.cat DESC, u.cid DESC) x),
      -- the other debits probe on
      deep AS (SELECT hd.source_system, hd.txn_id, hd.account, hd.booked_at, hd.amount, hd.currency, m.cat, m.camount, m.cref
                 FROM hd CROSS JOIN c
                 CROSS JOIN LATERAL (
                   SELECT h.booked_at AS cat, h.amount AS camount, h.source_system || ':' || h.txn_id AS cref
                     FROM transactions h
                    WHERE h.aml_monitored AND coalesce(h.account_bidx, h.account) = hd.key AND h.currency = hd.currency AND h.amount > 0
                      AND h.booked_at >= hd.booked_at - c.span AND h.booked_at <= hd.booked_at
                      AND -hd.amount BETWEEN h.amount * (1 - c.tol) AND h.amount * (1 + c.tol)
                    ORDER BY h.booked_at DESC, h.id DESC LIMIT 1) m
                WHERE NOT hd.set_based),
      b2 AS (SELECT source_system, txn_id, account, booked_at, amount, currency, cat, camount, cref FROM pm
             UNION ALL
             SELECT source_system, txn_id, account, booked_at, amount, currency, cat, camount, cref FROM hm
             UNION ALL
             SELECT source_system, txn_id, account, booked_at, amount, currency, cat, camount, cref FROM deep)
      ${INSERT}
      SELECT 'RAPID_MOVEMENT', ${TXN_KEY}, 55, b.source_system, b.txn_id, b.account, b.booked_at, $4, $1,
             jsonb_build_object('debit', b.amount::text, 'currency', b.currency, 'credit', b.camount::text, 'creditTransaction', b.cref,
                                'minutesBetween', round(extract(epoch FROM b.booked_at - b.cat) / 60))
        FROM b2 b
      ${DONE}`,
  },
];

/** An exact decimal: value = int / 10^scale. */
interface Dec {
  int: bigint;
  scale: number;
}

function decimal(text: unknown): Dec | undefined {
  const m = /^([+-]?)([0-9]+)(?:\.([0-9]+))?$/.exec(String(text));
  if (!m) return undefined;
  const frac = m[3] ?? '';
  const int = BigInt(`${m[2]}${frac}`);
  return { int: m[1] === '-' ? -int : int, scale: frac.length };
}

const POW10: bigint[] = [];
/** 10^n as a BigInt (kept: the per-row rules ask for the same few powers). */
const pow10 = (n: number): bigint => (POW10[n] ??= 10n ** BigInt(n));

/**
 * The batch rows that can match LARGE_TRANSACTION, STRUCTURING, ROUND_AMOUNT or RAPID_MOVEMENT: those
 * at or above the round-amount minimum in their own currency, and those with a USD rate whose USD
 * value reaches the lower of the structuring band's floor and the rapid-movement minimum. Exact
 * (BigInt over minor units and decimal strings, never a float). It is a superset: each rule's
 * statement still applies its own predicate, so the prefilter only spares the database from reading
 * rows that cannot match. Returns undefined (no prefilter) when the parameters are not plain
 * decimals or the band is not a whole percentage.
 */
export function amlCandidates(
  rows: readonly { recordNo: number; minor: bigint; exponent: number; currency: string }[],
  config: AmlConfig,
): number[] | undefined {
  const th = decimal(config.largeTransactionUsd);
  const rapid = decimal(config.rapidMovement.minAmountUsd);
  const roundMin = decimal(config.roundAmount.minAmount);
  const band = config.structuring.bandPercent;
  if (!th || !rapid || !roundMin || !Number.isInteger(band)) return undefined;
  const rates = new Map<string, Dec>();
  for (const [currency, rate] of Object.entries(config.fxToUsd)) {
    const d = decimal(rate);
    if (!d) return undefined;
    rates.set(currency, d);
  }
  // per currency (and exponent), the smallest |amount| in minor units that any of the rules can match
  const floors = new Map<string, { exponent: number; floor: bigint; negated: bigint }>();
  const floorOf = (currency: string, e: number): bigint => {
    // |amount| >= roundMin  ⇔  abs * 10^roundMin.scale >= roundMin.int * 10^e
    let min = atLeast(pow10(roundMin.scale), roundMin.int * pow10(e));
    const rate = rates.get(currency);
    if (rate) {
      // USD value = abs * rate.int / 10^(e + rate.scale); the lowest USD floor of LARGE_TRANSACTION (th),
      // STRUCTURING (th * (100 - band) / 100) and RAPID_MOVEMENT (rapid)
      const usdScale = pow10(e + rate.scale);
      for (const f of [
        atLeast(rate.int * pow10(th.scale), th.int * usdScale),
        atLeast(rate.int * pow10(th.scale) * 100n, th.int * BigInt(100 - band) * usdScale),
        atLeast(rate.int * pow10(rapid.scale), rapid.int * usdScale),
      ]) {
        if (f < min) min = f;
      }
    }
    return min;
  };
  const out: number[] = [];
  // per row nothing is allocated: the floor is looked up by currency (its exponent checked), the amount compared
  // with it and its negation
  for (const r of rows) {
    let f = floors.get(r.currency);
    if (f === undefined || f.exponent !== r.exponent) {
      const floor = floorOf(r.currency, r.exponent);
      floors.set(r.currency, (f = { exponent: r.exponent, floor, negated: -floor }));
    }
    if (r.minor >= f.floor || r.minor <= f.negated) out.push(r.recordNo);
  }
  return out;
}

/** The rules whose alert depends on the row alone, which rowRuleHits decides in memory. */
export type RowRule = Extract<AmlRule, 'LARGE_TRANSACTION' | 'ROUND_AMOUNT'>;

/** A row's alert of a per-row rule, as its statement in AML_RULES would insert it (score and evidence). */
export interface RowRuleHit {
  recordNo: number;
  rule: RowRule;
  score: number;
  evidence: Record<string, string>;
}

/** The decimal text PostgreSQL prints for int / 10^scale (`numeric` keeps the scale: no leading zero, no "-0"). */
function decimalText(int: bigint, scale: number): string {
  const neg = int < 0n;
  const digits = (neg ? -int : int).toString().padStart(scale + 1, '0');
  const body = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return neg ? `-${body}` : body;
}

/** round(n / 10^scale, 2) as `numeric` rounds (half away from zero), in hundredths. */
function roundToHundredths(n: bigint, scale: number): bigint {
  if (scale <= 2) return n * pow10(2 - scale);
  const unit = pow10(scale - 2);
  const neg = n < 0n;
  const a = neg ? -n : n;
  const q = a / unit + ((a % unit) * 2n >= unit ? 1n : 0n);
  return neg ? -q : q;
}

/**
 * LARGE_TRANSACTION and ROUND_AMOUNT decided in memory, for rows given with their stored amount (`decimal`, the
 * normalized text stored as `numeric`; `minor` its digits, `exponent` its scale): exactly the alerts their statements
 * in AML_RULES insert, with the same score and evidence (the texts PostgreSQL prints for the same `numeric` values,
 * BigInt arithmetic throughout). Undefined when a parameter the rules read is not a plain decimal string (the
 * statements then decide).
 */
export function rowRuleHits(
  rows: readonly { recordNo: number; minor: bigint; exponent: number; currency: string; decimal: string }[],
  config: AmlConfig,
): RowRuleHit[] | undefined {
  const th = decimal(config.largeTransactionUsd);
  const roundMin = decimal(config.roundAmount.minAmount);
  const multiple = decimal(config.roundAmount.multipleOf);
  if (!th || !roundMin || !multiple) return undefined;
  const rates = new Map<string, Dec>();
  for (const [currency, rate] of Object.entries(config.fxToUsd)) {
    const d = decimal(rate);
    if (!d) return undefined;
    rates.set(currency, d);
  }
  const large = AML_RULES.find((r) => r.rule === 'LARGE_TRANSACTION')?.score as number;
  const round = AML_RULES.find((r) => r.rule === 'ROUND_AMOUNT')?.score as number;
  const thresholdUsd = decimalText(th.int, th.scale);
  const multipleOf = decimalText(multiple.int, multiple.scale);
  // per currency and scale, worked out once: the least |amount| (over 10^e) LARGE_TRANSACTION alerts on, and
  // ROUND_AMOUNT's least |amount| and the multiple (over 10^(e + multiple's scale))
  const bounds = new Map<string, { e: number; rate?: Dec; large?: bigint; roundMin: bigint; step: bigint }>();
  const boundsOf = (currency: string, e: number) => {
    const rate = rates.get(currency);
    const b = {
      e,
      ...(rate ? { rate } : {}),
      // abs * rate.int * 10^th.scale >= th.int * 10^(e + rate.scale): the least such abs for a positive factor
      ...(rate && rate.int > 0n ? { large: atLeast(rate.int * pow10(th.scale), th.int * pow10(e + rate.scale)) } : {}),
      roundMin: roundMin.int * pow10(e),
      step: multiple.int * pow10(e),
    };
    bounds.set(currency, b);
    return b;
  };
  const out: RowRuleHit[] = [];
  for (const r of rows) {
    const abs = r.minor < 0n ? -r.minor : r.minor;
    let b = bounds.get(r.currency);
    if (b === undefined || b.e !== r.exponent) b = boundsOf(r.currency, r.exponent);
    const rate = b.rate;
    // abs(amount) * rate >= th; a rate of 0 or less compared as written (not expected of a rate)
    if (
      rate &&
      (b.large !== undefined
        ? abs >= b.large
        : abs * rate.int * pow10(th.scale) >= th.int * pow10(r.exponent + rate.scale))
    )
      out.push({
        recordNo: r.recordNo,
        rule: 'LARGE_TRANSACTION',
        score: large,
        evidence: {
          amount: r.decimal,
          currency: r.currency,
          usdEquivalent: decimalText(roundToHundredths(abs * rate.int, r.exponent + rate.scale), 2),
          thresholdUsd,
        },
      });
    // abs(amount) >= min_amount AND multiple > 0 AND mod(abs(amount), multiple) = 0, over 10^(e + scales)
    if (multiple.int > 0n && abs * pow10(roundMin.scale) >= b.roundMin && (abs * pow10(multiple.scale)) % b.step === 0n)
      out.push({
        recordNo: r.recordNo,
        rule: 'ROUND_AMOUNT',
        score: round,
        evidence: { amount: r.decimal, currency: r.currency, multipleOf },
      });
  }
  return out;
}

/**
 * The batch rows that share their account's velocity window with another row of the batch: booked less than the
 * window (plus a millisecond, so that no sub-millisecond time is misjudged) from another row of the same account.
 * The VELOCITY statement checks these set-based and the others with a probe each; either way gives the same alerts,
 * so this only decides the cost.
 */
export function velocityClustered(
  rows: readonly { recordNo: number; account: string; bookedAt: string }[],
  windowHours: number,
): number[] {
  const span = windowHours * 3_600_000 + 1;
  // each account's rows as a chain of row indexes (no object per row: in most batches most accounts have one row,
  // and those need neither their time read nor a list)
  const head = new Map<string, number>();
  const tail = new Int32Array(rows.length);
  const next = new Int32Array(rows.length).fill(-1);
  rows.forEach((r, i) => {
    const h = head.get(r.account);
    if (h === undefined) {
      head.set(r.account, i);
      tail[i] = i;
    } else {
      next[tail[h] as number] = i;
      tail[h] = i;
    }
  });
  const out: number[] = [];
  for (const h of head.values())
    pushClustered(out, h, next, (i) => Date.parse((rows[i] as (typeof rows)[number]).bookedAt), rows, span);
  return out;
}

/**
 * Appends to `out` the record numbers of one account's rows in the batch (the chain from row index `first` along
 * `next`, -1 ending it; `timeOf` a row's time) booked less than `within` milliseconds from another of them, in
 * booking time order. An account with one row has none.
 */
function pushClustered(
  out: number[],
  first: number,
  next: Int32Array,
  timeOf: (i: number) => number,
  rows: readonly { recordNo: number }[],
  within: number,
): void {
  if (next[first] === -1) return;
  const list: { t: number; no: number }[] = [];
  for (let i = first; i !== -1; i = next[i] as number)
    list.push({ t: timeOf(i), no: (rows[i] as { recordNo: number }).recordNo });
  list.sort((a, b) => a.t - b.t);
  list.forEach(({ t, no }, i) => {
    const prev = list[i - 1]?.t ?? -Infinity;
    const after = list[i + 1]?.t ?? Infinity;
    // a time that cannot be read (not expected: the load validated it) counts as clustered
    if (Number.isNaN(t) || t - prev < within || after - t < within) out.push(no);
  });
}

/**
 * Routes the VELOCITY check by what a run has loaded so far: a row whose account already has more than the
 * rule's count in its current window, in this run, is checked set-based (one read of the window per batch, and
 * none once the window has its alert) rather than by a probe, which counts the whole window for each row — a
 * busy account's rows at one instant (a date-only booking) would each count all of them. Either way gives the same
 * alerts (see velocityClustered), so this only decides the cost. Windows are counted tumbling from an account's
 * first row (an estimate is enough), for the accounts seen last (at most `keep`; one forgotten starts again).
 */
export class VelocityRouting {
  /** Each account remembered → its slot (insertion order: the oldest is forgotten first). */
  private readonly slots = new Map<string, number>();
  /**
   * Per slot, side by side (one cache line, not five arrays' worth): its window's start and count, the batch
   * (route's call) that last saw it, and that batch's first and last row of it.
   */
  private state = new Float64Array(1024 * SLOT);
  private used = 0;
  private readonly free: number[] = [];
  /** Slots of accounts forgotten during the batch that still chains their rows: free after it. */
  private readonly freeAfter: number[] = [];
  private batch = 0;
  private readonly span: number;
  private readonly maxCount: number;

  constructor(
    velocity: Pick<AmlConfig['velocity'], 'windowHours' | 'maxCount'>,
    private readonly keep = 100_000,
  ) {
    this.span = velocity.windowHours * 3_600_000;
    this.maxCount = velocity.maxCount;
  }

  /** The record numbers of `rows` (a batch, in record order) whose window is busy, counting the batch itself. */
  busy(rows: readonly { recordNo: number; account: string; bookedAt: string }[]): number[] {
    return this.route(rows).busy;
  }

  /**
   * For a batch (in record order): `busy` as above, and `clustered`: what velocityClustered gives for the batch
   * (the same list, in the same order), worked out in the same pass — one lookup of each row's account and one
   * reading of its time, the rows of an account chained by index rather than listed in objects. (A batch with
   * more distinct accounts than are kept may split an account's rows: fewer listed, which only costs.)
   */
  route(rows: readonly { recordNo: number; account: string; bookedAt: string }[]): {
    busy: number[];
    clustered: number[];
  } {
    const batch = ++this.batch;
    for (const s of this.freeAfter) this.free.push(s);
    this.freeAfter.length = 0;
    const n = rows.length;
    const times = new Float64Array(n);
    const next = new Int32Array(n).fill(-1);
    const heads: number[] = [];
    const busy: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = rows[i] as (typeof rows)[number];
      const t = Date.parse(r.bookedAt);
      times[i] = t;
      let s = this.slots.get(r.account);
      if (s === undefined) s = this.remember(r.account);
      const st = this.state;
      const at = s * SLOT;
      const start = st[at] as number;
      if (st[at + SEEN] === 0 || !(t >= start && t - start < this.span)) {
        st[at] = t;
        st[at + COUNT] = 0;
      }
      if (++(st[at + COUNT] as number) > this.maxCount) busy.push(r.recordNo);
      if (st[at + SEEN] !== batch) {
        st[at + SEEN] = batch;
        st[at + FIRST] = i;
        heads.push(s);
      } else {
        next[st[at + LAST] as number] = i;
      }
      st[at + LAST] = i;
    }
    const clustered: number[] = [];
    for (const s of heads)
      pushClustered(
        clustered,
        this.state[s * SLOT + FIRST] as number,
        next,
        (i) => times[i] as number,
        rows,
        this.span + 1,
      );
    return { busy, clustered };
  }

  /** A slot for a new account (never seen: its window starts at its first row), forgetting the oldest when `keep` are remembered. */
  private remember(account: string): number {
    if (this.slots.size >= this.keep) {
      const [oldest, slot] = this.slots.entries().next().value as [string, number];
      this.slots.delete(oldest);
      // a slot this batch has chained rows in is reused only after it
      (this.state[slot * SLOT + SEEN] === this.batch ? this.freeAfter : this.free).push(slot);
    }
    let s = this.free.pop();
    if (s === undefined) {
      s = this.used++;
      if ((s + 1) * SLOT > this.state.length) {
        const wider = new Float64Array(this.state.length * 2);
        wider.set(this.state);
        this.state = wider;
      }
    }
    this.state[s * SLOT + SEEN] = 0;
    this.slots.set(account, s);
    return s;
  }
}

/** VelocityRouting's state per slot: window start (ms), count, batch last seen in, first and last row there. */
const SLOT = 5;
const COUNT = 1;
const SEEN = 2;
const FIRST = 3;
const LAST = 4;

/** The smallest abs >= 0 with abs * a >= b (a non-positive factor: 0, i.e. every row, which stays a superset). */
function atLeast(a: bigint, b: bigint): bigint {
  if (a <= 0n || b <= 0n) return 0n;
  return (b + a - 1n) / a;
}

/** A job's AML parameters: its overrides on top of the defaults (FX rates merged per currency). */
export function resolveAmlConfig(overrides: DeepPartial<AmlConfig> = {}): AmlConfig {
  const d = DEFAULT_AML_CONFIG;
  return {
    largeTransactionUsd: overrides.largeTransactionUsd ?? d.largeTransactionUsd,
    structuring: { ...d.structuring, ...stripUndefined(overrides.structuring) },
    velocity: { ...d.velocity, ...stripUndefined(overrides.velocity) },
    roundAmount: { ...d.roundAmount, ...stripUndefined(overrides.roundAmount) },
    highRiskCountries: (overrides.highRiskCountries as string[] | undefined) ?? d.highRiskCountries,
    rapidMovement: { ...d.rapidMovement, ...stripUndefined(overrides.rapidMovement) },
    fxToUsd: { ...d.fxToUsd, ...(stripUndefined(overrides.fxToUsd) as Record<string, string>) },
  };
}

type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K];
};

function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
