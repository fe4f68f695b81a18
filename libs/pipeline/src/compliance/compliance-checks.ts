import { randomBytes } from 'node:crypto';
import { type ClientBase, type PoolClient } from 'pg';
import { copyBytes, copyEscape, LineBuffer } from '@strongroom/connectors';
import {
  AML_RULES,
  amlCandidates,
  encryptField,
  HIGH_RISK_SCORE,
  highRiskJurisdiction,
  resolveAmlConfig,
  rowRuleHits,
  velocityClustered,
  type VelocityRouting,
  type AmlConfig,
  type AmlRuleDefinition,
  type KeyProvider,
  type RowRule,
  type Screener,
  type ScreeningResult,
} from '@strongroom/compliance';
import { ErrorCode, pgErrorCode, StrongroomError } from '@strongroom/errors';
import { type Breaker } from '@strongroom/resilience';
import { currencyExponent } from '@strongroom/money';
import { type EncryptableField, type JobDefinition } from '../jobs/job-definition';
import { type CanonicalTransaction } from '../types';

/** A row that raises a per-transaction alert decided in memory. */
interface Hit {
  recordNo: number;
  score: number;
  evidence: Record<string, unknown>;
}

/** What a batch is checked for, decided from the job's compliance section when the run starts. */
export interface ComplianceChecks {
  /** AML rules with these parameters (AML in frameworks). */
  aml?: AmlConfig;
  /** Sanctions screening of counterparty names (AML in frameworks, sanctions not off). */
  sanctions?: { screener: Screener; threshold: number; breaker?: Breaker };
  /** KYC: an account without valid KYC at booking time raises an alert, or its transaction is held in the DLQ (KYC in frameworks). */
  kyc?: 'alert' | 'hold';
  /** RESTRICTED fields: stored encrypted (AES-256-GCM) under this key ring; the DLQ's raw records too. */
  encryption?: { keys: KeyProvider; fields: EncryptableField[] };
}

// per-transaction alerts decided in memory (on clear values, which may be stored encrypted), inserted for the rows that
// loaded; the row count is how many were raised
const ROW_ALERTS_SQL = `
  WITH h AS (SELECT * FROM unnest($3::bigint[], $4::int[], $5::jsonb[]) AS h(no, score, evidence)),
       b AS (SELECT t.* FROM transactions t WHERE t.id BETWEEN $7 AND $8 AND t.run_id = $1 AND t.source_record_no = ANY($3::bigint[]))
  INSERT INTO compliance_alerts (rule, dedupe_key, score, source_system, txn_id, account, booked_at, job_id, run_id, evidence)
  SELECT $6, 'txn:' || b.source_system || ':' || b.txn_id, h.score, b.source_system, b.txn_id, b.account, b.booked_at, $2, $1, h.evidence
    FROM b JOIN h ON b.source_record_no = h.no
  ON CONFLICT (rule, dedupe_key) DO NOTHING`;

/**
 * KYC `hold` policy: which of these rows belong to an account without VERIFIED, unexpired KYC at their
 * booking time (record number → the KYC status found). They go to the DLQ as KYC_HOLD instead of the
 * sink, and load on replay once the customer's KYC is valid. Under the `alert` policy the same lookup
 * raises KYC alerts.
 */
export async function kycHeld(
  client: ClientBase,
  rows: readonly { recordNo: number; account: string; bookedAt: string }[],
): Promise<Map<number, string>> {
  if (!rows.length) return new Map();
  const { rows: held } = await client.query<{ no: string; kyc: string }>(
    `SELECT r.no::text AS no, CASE WHEN k.account IS NULL THEN 'MISSING' WHEN k.status <> 'VERIFIED' THEN k.status ELSE 'EXPIRED' END AS kyc
       FROM unnest($1::bigint[], $2::text[], $3::timestamptz[]) AS r(no, account, booked)
       LEFT JOIN kyc_customers k ON k.account = r.account
      WHERE k.account IS NULL OR k.status <> 'VERIFIED' OR (k.expires_at IS NOT NULL AND k.expires_at < r.booked)`,
    [rows.map((r) => r.recordNo), rows.map((r) => r.account), rows.map((r) => r.bookedAt)],
  );
  return new Map(held.map((h) => [Number(h.no), h.kyc]));
}

/**
 * What a batch's AML statements take from its rows, worked out in memory: the candidates of the per-row rules (or
 * null: every row, when they are most of the batch or cannot be worked out), the rows VELOCITY checks set-based, and
 * the high-risk jurisdiction hits. Pure CPU over the clear values: the run executor works it out while the batch
 * before commits, so the database does not wait for it.
 */
export interface PreparedAmlInputs {
  candidates: number[] | null;
  clustered: number[];
  highRisk: Hit[];
  /** The batch's counterparty names, screened ahead of the commit (prepareAhead). */
  screened?: ScreenedAhead;
  /**
   * LARGE_TRANSACTION's and ROUND_AMOUNT's alerts (rowRuleHits) on the batch's rows, rendered ahead for `source`
   * (prepareAhead given it, the account not stored encrypted, the rules' parameters plain decimals).
   */
  rowRules?: { source: AlertSource; alerts: AlertLines };
}

/** What an alert names besides its row: the run, its job, and the rows' source system. */
export interface AlertSource {
  runId: string;
  jobId: string;
  sourceSystem: string;
}

/** Alerts decided in memory as COPY-text lines of compliance_alerts (ALERT_COPY_COLUMNS), with each one's row and rule. */
export interface AlertLines {
  lines: LineBuffer;
  recordNos: number[];
  rules: string[];
}

/**
 * A batch's names being screened ahead of its commit, by this screener at this threshold. The commit uses the
 * answers only if it screens with the same (a stream's lists may be replaced between its batch's arrival and
 * its commit), and screens again if that screening failed (a breaker that has closed since is asked again).
 */
export interface ScreenedAhead {
  screener: Screener;
  threshold: number;
  names: Promise<ScreenedNames>;
}

/** Each distinct counterparty name → its sanctions hit, or null when it is not one. */
export type ScreenedNames = Map<string, ScreeningResult | null>;

/** How long screening holds the event loop before it lets other work (a commit in flight, a call) run. */
const SCREENING_SLICE_MS = 5;

/**
 * Screens the distinct counterparty names of `rows` through the screening breaker. A batch of new names
 * takes a while (tens of µs each); it yields every few milliseconds, so that the engine answers the
 * database for the batch committing meanwhile and serves calls.
 */
export async function screenCounterparties(
  sanctions: NonNullable<ComplianceChecks['sanctions']>,
  rows: readonly CanonicalTransaction[],
): Promise<ScreenedNames> {
  const { screener, threshold, breaker } = sanctions;
  const names = new Set<string>();
  for (const t of rows) if (t.counterpartyName) names.add(t.counterpartyName);
  // only hits raise alerts: the screener may skip working out how far below the threshold the others score
  const screen = async () => {
    const out: ScreenedNames = new Map();
    let since = performance.now();
    for (const n of names) {
      out.set(n, screener.findHit(n, threshold));
      if (performance.now() - since >= SCREENING_SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        since = performance.now();
      }
    }
    return out;
  };
  return breaker ? breaker.call(screen) : screen();
}

/**
 * PreparedAmlInputs of a batch's rows (`rows`: all the run's rows in the batch's record range). A candidate list
 * is passed only where it spares the database reading rows: when it holds more than half the batch, the
 * statements read the batch whole (each still applies its own predicate), and neither side builds or parses the
 * list. `routing`: the run's VelocityRouting (batches given in order), which adds the rows whose account window is
 * busy in the run to those VELOCITY checks set-based.
 */
export function prepareAmlInputs(
  aml: AmlConfig,
  rows: readonly CanonicalTransaction[],
  routing?: VelocityRouting,
): PreparedAmlInputs {
  return {
    candidates: candidatesOf(aml, rows.map(storedAmount)),
    clustered: clusteredOf(aml, rows, routing),
    highRisk: highRiskHits(aml, rows),
  };
}

/** The candidate list of PreparedAmlInputs: amlCandidates of the batch's `amounts`, or null (read the batch whole). */
function candidatesOf(aml: AmlConfig, amounts: readonly StoredAmount[]): number[] | null {
  // a currency without a known exponent (not expected after validation): no prefilter
  const exact = amounts.every((r) => currencyExponent(r.currency) !== undefined)
    ? amlCandidates(amounts, aml)
    : undefined;
  return exact && exact.length * 2 <= amounts.length ? exact : null;
}

/** Lets other work run (a commit in flight sends its next statement): between the steps of work done ahead. */
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Alerts rendered ahead per step, so that no step holds the event loop for long (about 2 µs each). */
const RENDER_STEP = 2048;

/**
 * What a batch's checks work out before its commit, while the batch before commits (AML jobs with rows; else
 * undefined): its AML inputs (prepareAmlInputs, with the run's `routing`), its counterparties being screened, and
 * given the alerts' `source`, the alerts of the rules decided by the row alone (PreparedAmlInputs.rowRules). In
 * steps of a few milliseconds: the batch committing meanwhile is not held up waiting for the engine.
 */
export async function prepareAhead(
  checks: ComplianceChecks | undefined,
  rows: readonly CanonicalTransaction[],
  routing?: VelocityRouting,
  source?: AlertSource,
): Promise<PreparedAmlInputs | undefined> {
  const aml = checks?.aml;
  if (!aml || !rows.length) return undefined;
  let screened: ScreenedAhead | undefined;
  if (checks.sanctions) {
    const names = screenCounterparties(checks.sanctions, rows);
    names.catch(() => undefined); // met at the commit, which screens again
    screened = { screener: checks.sanctions.screener, threshold: checks.sanctions.threshold, names };
  }
  // the rows' amounts as stored, for the candidates and the per-row rules
  const amounts = rows.map(storedAmount);
  const candidates = candidatesOf(aml, amounts);
  await yieldToLoop();
  const highRisk = highRiskHits(aml, rows);
  await yieldToLoop();
  const clustered = clusteredOf(aml, rows, routing);
  await yieldToLoop();
  const inputs: PreparedAmlInputs = {
    candidates,
    clustered,
    highRisk,
    ...(screened ? { screened } : {}),
  };
  if (source && !checks.encryption?.fields.includes('account')) {
    await yieldToLoop();
    const hits = rowRuleHits(amounts, aml);
    if (hits) {
      const alerts = newAlertLines(hits.length);
      const byNo = new Map(rows.map((t) => [t.recordNo, t]));
      for (let i = 0; i < hits.length; i += RENDER_STEP) {
        await yieldToLoop();
        renderAlerts(alerts, source, byNo, hits.slice(i, i + RENDER_STEP));
      }
      inputs.rowRules = { source, alerts };
    }
  }
  return inputs;
}

/**
 * The rows VELOCITY checks set-based: those that share their account's window within the batch (velocityClustered)
 * and, with the run's `routing`, those whose window is busy in the run (both worked out in one pass).
 */
function clusteredOf(aml: AmlConfig, rows: readonly CanonicalTransaction[], routing?: VelocityRouting): number[] {
  if (!routing) return velocityClustered(rows, aml.velocity.windowHours);
  const { clustered, busy } = routing.route(rows);
  return withBusy(clustered, busy);
}

/** The batch's clustered rows and those whose window is busy in the run (VelocityRouting), each once. */
function withBusy(clustered: number[], busy: number[] | undefined): number[] {
  if (!busy?.length) return clustered;
  const listed = new Set(clustered);
  for (const no of busy) if (!listed.has(no)) clustered.push(no);
  return clustered;
}

/** The rows HIGH_RISK_JURISDICTION raises an alert for (decided on the clear values). */
function highRiskHits(aml: AmlConfig, rows: readonly CanonicalTransaction[]): Hit[] {
  const countries = aml.highRiskCountries;
  // a loop, not flatMap: an empty array per row that raises nothing is the common case
  const hits: Hit[] = [];
  for (const t of rows) {
    const hit = highRiskJurisdiction(t.account, t.counterpartyAccount, countries);
    if (hit) hits.push({ recordNo: t.recordNo, score: HIGH_RISK_SCORE, evidence: hit });
  }
  return hits;
}

/**
 * Runs the batch's compliance checks inside its transaction, over the rows it just loaded (records
 * `first`…`last` of the run, with sink ids within `ids.lo`…`ids.hi`; `rows` are their clear values): the SQL AML rules over the sink, and in
 * memory the high-risk jurisdiction rule, sanctions screening of each distinct counterparty name and
 * KYC. Returns the alerts raised, by rule. A screening service that is down fails the batch (retryable
 * through its breaker): a run never loads past a check it could not make.
 *
 * `rowsCoverRange`: `rows` are all the run's rows in `first`…`last` (a batch), so the per-row AML rules
 * may read only the candidates among them (`prepared`: the batch's PreparedAmlInputs, worked out ahead; else
 * here). A DLQ replay passes false: its range also holds rows loaded earlier, which the statements must see again.
 *
 * `notLoaded` (a batch: the record numbers of `rows` that did not load, with `ids.sourceSystem` the rows' source
 * system): the alerts that depend on the row alone — LARGE_TRANSACTION and ROUND_AMOUNT (rowRuleHits), high-risk
 * jurisdiction, sanctions, KYC — are decided here and written by one COPY, with what the sink holds for each
 * row, instead of statements that read the batch back. Not when the account is stored encrypted (an alert names
 * the account as stored, under the row's own IV). If one of them was raised before (its transaction loaded again
 * after retention removed it), the COPY is undone and the statements insert them, skipping what exists.
 */
export async function runComplianceChecks(
  client: PoolClient,
  checks: ComplianceChecks,
  ids: { runId: string; jobId: string; lo: string; hi: string; sourceSystem?: string },
  first: number,
  last: number,
  rows: readonly CanonicalTransaction[],
  rowsCoverRange = false,
  prepared?: PreparedAmlInputs,
  notLoaded?: ReadonlySet<number>,
): Promise<Record<string, number>> {
  const raised: Record<string, number> = {};
  const count = (rule: string, n: number | null) => {
    if (n) raised[rule] = (raised[rule] ?? 0) + n;
  };
  const enc = checks.encryption;
  const protect = (field: EncryptableField, value: string) =>
    enc?.fields.includes(field) ? encryptField(enc.keys, field, value) : value;
  const byCopy =
    rowsCoverRange && notLoaded !== undefined && ids.sourceSystem !== undefined && !enc?.fields.includes('account');
  const source = byCopy ? { runId: ids.runId, jobId: ids.jobId, sourceSystem: ids.sourceSystem as string } : undefined;
  const loaded = byCopy ? rows.filter((t) => !notLoaded.has(t.recordNo)) : rows;
  // per rule, the alerts decided in memory at the commit, each rule's once
  const decided = new Map<string, Hit[]>();
  const aml = checks.aml;
  const inputs = aml && rowsCoverRange ? (prepared ?? prepareAmlInputs(aml, rows)) : undefined;
  const config = aml ? JSON.stringify(aml) : '';
  const ruleParams = (rule: AmlRuleDefinition) => [
    ids.runId,
    first,
    last,
    ids.jobId,
    config,
    ids.lo,
    ids.hi,
    // without the batch's rows at hand (a replay), every row of the range is a candidate and checked set-based
    ...(rule.candidates ? [inputs?.candidates ?? null] : []),
    ...(rule.clustered ? [inputs?.clustered ?? null] : []),
  ];
  // LARGE_TRANSACTION's and ROUND_AMOUNT's alerts decided in memory (rendered ahead, or now): their statements are
  // run only if the COPY falls back
  let rowRules: AlertLines | undefined;
  if (aml && source) {
    const ahead = prepared?.rowRules;
    if (ahead && sameSource(ahead.source, source)) rowRules = ahead.alerts;
    else {
      const hits = rowRuleHits(loaded.map(storedAmount), aml);
      if (hits) {
        rowRules = newAlertLines(hits.length);
        renderAlerts(rowRules, source, new Map(loaded.map((t) => [t.recordNo, t])), hits);
      }
    }
  }
  const replaced: ReadonlySet<string> = new Set(rowRules ? ROW_RULES : []);
  if (aml) {
    for (const rule of AML_RULES)
      if (!replaced.has(rule.rule)) count(rule.rule, (await client.query(rule.sql, ruleParams(rule))).rowCount);
    const highRisk = inputs?.highRisk ?? highRiskHits(aml, rows);
    if (highRisk.length) decided.set('HIGH_RISK_JURISDICTION', highRisk);
  }
  if (checks.sanctions) {
    const { sanctions } = checks;
    const { threshold } = sanctions;
    const ahead = prepared?.screened;
    const results = await (ahead?.screener === sanctions.screener && ahead.threshold === threshold
      ? ahead.names.catch(() => screenCounterparties(sanctions, rows))
      : screenCounterparties(sanctions, rows));
    const sanctioned: Hit[] = [];
    for (const t of rows) {
      const r = t.counterpartyName ? results.get(t.counterpartyName) : undefined;
      if (!r?.hit) continue;
      const evidence = {
        screenedName: protect('counterparty_name', t.counterpartyName as string),
        matchedName: r.matchedName,
        entryId: r.entryId,
        primaryName: r.primaryName,
        kind: r.kind,
        programs: r.programs,
        score: r.score,
        threshold,
      };
      sanctioned.push({ recordNo: t.recordNo, score: Math.round(r.score * 100), evidence });
    }
    if (sanctioned.length) decided.set('SANCTIONS', sanctioned);
  }
  if (checks.kyc === 'alert') {
    const invalid = await kycHeld(client, loaded);
    if (invalid.size)
      decided.set(
        'KYC',
        [...invalid].map(([recordNo, kyc]) => ({ recordNo, score: 40, evidence: { kycStatus: kyc } })),
      );
  }
  const copied =
    source && notLoaded ? await copyRowAlerts(client, source, loaded, notLoaded, rowRules, decided) : undefined;
  if (copied) {
    for (const [rule, n] of copied) count(rule, n);
    return raised;
  }
  // by statements: those the COPY would have replaced, then the alerts decided in memory, each rule's joined to
  // the rows it loaded
  if (aml) {
    for (const rule of AML_RULES)
      if (replaced.has(rule.rule)) count(rule.rule, (await client.query(rule.sql, ruleParams(rule))).rowCount);
  }
  for (const [rule, hits] of decided) {
    const res = await client.query(ROW_ALERTS_SQL, [
      ids.runId,
      ids.jobId,
      hits.map((h) => h.recordNo),
      hits.map((h) => h.score),
      hits.map((h) => JSON.stringify(h.evidence)),
      rule,
      ids.lo,
      ids.hi,
    ]);
    count(rule, res.rowCount);
  }
  return raised;
}

/** The AML rules rowRuleHits decides in memory (their statements are run only when the COPY falls back). */
const ROW_RULES: readonly RowRule[] = ['LARGE_TRANSACTION', 'ROUND_AMOUNT'];

/** A row's amount as stored: its normalized decimal (the `numeric` text), its digits and their scale. */
interface StoredAmount {
  recordNo: number;
  minor: bigint;
  exponent: number;
  currency: string;
  decimal: string;
}

/** A row's StoredAmount, for amlCandidates and rowRuleHits. */
function storedAmount(t: CanonicalTransaction): StoredAmount {
  return {
    recordNo: t.recordNo,
    minor: t.amount.minor,
    exponent: decimalScale(t.amount.decimal),
    currency: t.currency,
    decimal: t.amount.decimal,
  };
}

/** Digits after the point of a plain decimal string. */
function decimalScale(decimal: string): number {
  const point = decimal.indexOf('.');
  return point < 0 ? 0 : decimal.length - point - 1;
}

const ALERT_COPY_COLUMNS =
  'id, rule, dedupe_key, score, source_system, txn_id, account, booked_at, job_id, run_id, evidence';

function newAlertLines(expected: number): AlertLines {
  return { lines: new LineBuffer(Math.max(1, expected) * 320), recordNos: [], rules: [] };
}

const sameSource = (a: AlertSource, b: AlertSource) =>
  a.runId === b.runId && a.jobId === b.jobId && a.sourceSystem === b.sourceSystem;

/**
 * Appends to `out` the alerts `hits` (each of its own rule, else of `rule`) of the rows in `byNo` (a hit on another
 * row raises nothing), as COPY-text lines naming each row as the sink holds it (the account not encrypted), each
 * with a time-ordered id (UUID version 7, as the table's default gives: a default computed per row would make
 * PostgreSQL insert row by row).
 */
function renderAlerts(
  out: AlertLines,
  source: AlertSource,
  byNo: ReadonlyMap<number, CanonicalTransaction>,
  hits: readonly (Hit & { rule?: string })[],
  rule?: string,
): void {
  const uuids = uuidsV7(hits.length, Date.now());
  const system = copyEscape(source.sourceSystem);
  const tail = `\t${source.jobId}\t${source.runId}\t`;
  hits.forEach((h, i) => {
    const t = byNo.get(h.recordNo);
    const r = h.rule ?? rule;
    if (!t || !r) return;
    const txn = copyEscape(t.txnId);
    out.lines.write(
      `${uuids[i]}\t${r}\ttxn:${system}:${txn}\t${h.score}\t${system}\t${txn}\t${copyEscape(t.account)}\t${t.bookedAt}${tail}`,
    );
    out.lines.write(copyEscape(JSON.stringify(h.evidence)));
    out.lines.endLine();
    out.recordNos.push(h.recordNo);
    out.rules.push(r);
  });
}

/**
 * Writes a batch's alerts decided in memory by one COPY, in a savepoint: `rowRules`' lines of the rows that loaded
 * (not in `notLoaded`), and `decided`'s (by rule) rendered now for the rows in `loaded`. Returns how many of each
 * rule it wrote; undefined, with nothing written, when one of them was raised before (its unique key): the caller
 * then inserts them by statements, which skip what exists.
 */
async function copyRowAlerts(
  client: PoolClient,
  source: AlertSource,
  loaded: readonly CanonicalTransaction[],
  notLoaded: ReadonlySet<number>,
  rowRules: AlertLines | undefined,
  decided: ReadonlyMap<string, Hit[]>,
): Promise<Map<string, number> | undefined> {
  const written = new Map<string, number>();
  const pieces: Buffer[] = [];
  const take = (alerts: AlertLines, all: boolean) => {
    if (all) pieces.push(alerts.lines.bytes());
    alerts.rules.forEach((rule, i) => {
      if (!all && notLoaded.has(alerts.recordNos[i] as number)) return;
      if (!all) pieces.push(alerts.lines.line(i));
      written.set(rule, (written.get(rule) ?? 0) + 1);
    });
  };
  if (rowRules) take(rowRules, notLoaded.size === 0);
  if (decided.size) {
    const now = newAlertLines(16);
    const byNo = new Map(loaded.map((t) => [t.recordNo, t]));
    for (const [rule, hits] of decided) renderAlerts(now, source, byNo, hits, rule);
    take(now, true);
  }
  if (!written.size) return written;
  await client.query('SAVEPOINT strongroom_alerts');
  try {
    await copyBytes(client, `compliance_alerts (${ALERT_COPY_COLUMNS})`, Buffer.concat(pieces));
    return written;
  } catch (err) {
    if (pgErrorCode(err) !== '23505') throw err;
    await client.query('ROLLBACK TO SAVEPOINT strongroom_alerts');
    return undefined;
  }
}

/** `n` UUIDs of version 7 at `ms` (milliseconds since the epoch): the time in the first 48 bits, then random bits. */
function uuidsV7(n: number, ms: number): string[] {
  const random = randomBytes(16 * n);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const b = random.subarray(16 * i, 16 * i + 16);
    b.writeUIntBE(ms, 0, 6);
    b[6] = 0x70 | ((b[6] as number) & 0x0f);
    b[8] = 0x80 | ((b[8] as number) & 0x3f);
    const h = b.toString('hex');
    out.push(`${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`);
  }
  return out;
}

/** The screening the engine offers: a loaded sanctions list (if any), its default threshold, its breaker. */
export interface ScreeningSetup {
  screener?: Screener;
  threshold: number;
  breaker?: Breaker;
  /**
   * Brings this replica to the lists in force (another replica may have loaded new ones); called before a
   * run's checks are made, so no run screens against replaced lists. `maxAgeMs`: skip the look when the
   * last one is that recent (an ingest stream's batches).
   */
  refresh?: (options?: { maxAgeMs?: number }) => Promise<void>;
  /** Set when the lists in force cannot be loaded here: AML jobs are refused with this reason (fail closed). */
  unavailable?: string;
}

/**
 * The checks a job's compliance section asks for. A job with AML in its frameworks is screened against
 * the sanctions lists unless it says `sanctions: off`; without a loaded list it is refused (fail closed)
 * with a precise reason rather than loaded unscreened.
 */
export function complianceChecksFor(
  def: JobDefinition,
  screening: ScreeningSetup | undefined,
  fieldKeys?: KeyProvider,
): ComplianceChecks {
  const c = def.compliance;
  const checks: ComplianceChecks = {};
  const restricted = (Object.entries(c.classification) as [EncryptableField, string][])
    .filter(([, level]) => level === 'RESTRICTED')
    .map(([f]) => f);
  if (restricted.length) {
    if (!fieldKeys)
      throw new StrongroomError(
        ErrorCode.FAILED_PRECONDITION,
        `job ${def.name} classifies ${restricted.join(', ')} as RESTRICTED but no field-encryption key ring is configured (STRONGROOM_FIELD_KEYS_FILE)`,
      );
    checks.encryption = { keys: fieldKeys, fields: restricted };
  }
  if (c.frameworks.includes('AML')) {
    checks.aml = resolveAmlConfig(c.aml);
    if (c.sanctions === 'required') {
      if (screening?.unavailable)
        throw new StrongroomError(
          ErrorCode.FAILED_PRECONDITION,
          `job ${def.name} declares AML: ${screening.unavailable}`,
        );
      if (!screening?.screener) {
        throw new StrongroomError(
          ErrorCode.FAILED_PRECONDITION,
          `job ${def.name} declares AML, which requires sanctions screening, but no sanctions list is loaded: set STRONGROOM_SANCTIONS_LISTS (or put the OFAC files in <home>/sanctions/), or set compliance.sanctions: off`,
        );
      }
      checks.sanctions = {
        screener: screening.screener,
        threshold: c.screeningThreshold ?? screening.threshold,
        ...(screening.breaker ? { breaker: screening.breaker } : {}),
      };
    }
  }
  if (c.frameworks.includes('KYC')) checks.kyc = c.kycPolicy;
  return checks;
}
