import { type ClientBase, type PoolClient } from 'pg';
import { AML_RULES, resolveAmlConfig, type AmlConfig, type Screener } from '@strongroom/compliance';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { type Breaker } from '@strongroom/resilience';
import { type JobDefinition } from './job-definition';

/** What a batch is checked for, decided from the job's compliance section when the run starts. */
export interface ComplianceChecks {
  /** AML rules with these parameters (AML in frameworks). */
  aml?: AmlConfig;
  /** Sanctions screening of counterparty names (AML in frameworks, sanctions not off). */
  sanctions?: { screener: Screener; threshold: number; breaker?: Breaker };
  /** KYC: an account without valid KYC at booking time raises an alert, or its transaction is held in the DLQ (KYC in frameworks). */
  kyc?: 'alert' | 'hold';
}

const KYC_SQL = `
  WITH b AS (SELECT t.* FROM transactions t WHERE t.run_id = $1 AND t.source_record_no BETWEEN $2 AND $3)
  INSERT INTO compliance_alerts (rule, dedupe_key, score, source_system, txn_id, account, booked_at, job_id, run_id, evidence)
  SELECT 'KYC', 'txn:' || b.source_system || ':' || b.txn_id, 40, b.source_system, b.txn_id, b.account, b.booked_at, $4, $1,
         jsonb_build_object('kycStatus', coalesce(k.status, 'MISSING'), 'expiresAt', k.expires_at, 'customerId', k.customer_id)
    FROM b LEFT JOIN kyc_customers k ON k.account = b.account
   WHERE k.account IS NULL OR k.status <> 'VERIFIED' OR (k.expires_at IS NOT NULL AND k.expires_at < b.booked_at)
  ON CONFLICT (rule, dedupe_key) DO NOTHING RETURNING rule`;

const SANCTIONS_SQL = `
  WITH b AS (SELECT t.* FROM transactions t WHERE t.run_id = $1 AND t.source_record_no BETWEEN $2 AND $3),
       h AS (SELECT * FROM unnest($5::text[], $6::int[], $7::jsonb[]) AS h(name, score, evidence))
  INSERT INTO compliance_alerts (rule, dedupe_key, score, source_system, txn_id, account, booked_at, job_id, run_id, evidence)
  SELECT 'SANCTIONS', 'txn:' || b.source_system || ':' || b.txn_id, h.score, b.source_system, b.txn_id, b.account, b.booked_at, $4, $1, h.evidence
    FROM b JOIN h ON b.counterparty_name = h.name
  ON CONFLICT (rule, dedupe_key) DO NOTHING RETURNING rule`;

/**
 * KYC `hold` policy: which of these rows belong to an account without VERIFIED, unexpired KYC at their
 * booking time (record number → the KYC status found). They go to the DLQ as KYC_HOLD instead of the
 * sink, and load on replay once the customer's KYC is valid.
 */
export async function kycHeld(client: ClientBase, rows: readonly { recordNo: number; account: string; bookedAt: string }[]): Promise<Map<number, string>> {
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
 * Runs the batch's compliance checks inside its transaction, over the rows it just loaded (records
 * `first`…`last` of the run): AML rules, sanctions screening of each distinct counterparty name, KYC.
 * Returns the alerts raised, by rule. A screening service that is down fails the batch (retryable
 * through its breaker): a run never loads past a check it could not make.
 */
export async function runComplianceChecks(client: PoolClient, checks: ComplianceChecks, ids: { runId: string; jobId: string }, first: number, last: number): Promise<Record<string, number>> {
  const raised: Record<string, number> = {};
  const count = (rows: { rule: string }[]) => {
    for (const r of rows) raised[r.rule] = (raised[r.rule] ?? 0) + 1;
  };
  const base = [ids.runId, first, last, ids.jobId];
  if (checks.aml) {
    const config = JSON.stringify(checks.aml);
    for (const rule of AML_RULES) count((await client.query<{ rule: string }>(rule.sql, [...base, config])).rows);
  }
  if (checks.sanctions) {
    const { screener, threshold, breaker } = checks.sanctions;
    const { rows } = await client.query<{ name: string }>(
      `SELECT DISTINCT counterparty_name AS name FROM transactions WHERE run_id = $1 AND source_record_no BETWEEN $2 AND $3 AND counterparty_name IS NOT NULL`,
      [ids.runId, first, last],
    );
    const screen = async () => rows.map((r) => ({ name: r.name, result: screener.screen(r.name, threshold) })).filter((x) => x.result.hit);
    const hits = await (breaker ? breaker.call(screen) : screen());
    if (hits.length) {
      const evidence = hits.map((x) =>
        JSON.stringify({
          screenedName: x.name,
          matchedName: x.result.matchedName,
          entryId: x.result.entryId,
          primaryName: x.result.primaryName,
          kind: x.result.kind,
          programs: x.result.programs,
          score: x.result.score,
          threshold,
        }),
      );
      const res = await client.query<{ rule: string }>(SANCTIONS_SQL, [...base, hits.map((x) => x.name), hits.map((x) => Math.round(x.result.score * 100)), evidence]);
      count(res.rows);
    }
  }
  if (checks.kyc === 'alert') count((await client.query<{ rule: string }>(KYC_SQL, base)).rows);
  return raised;
}

/** The screening the engine offers: a loaded sanctions list (if any), its default threshold, its breaker. */
export interface ScreeningSetup {
  screener?: Screener;
  threshold: number;
  breaker?: Breaker;
}

/**
 * The checks a job's compliance section asks for. A job with AML in its frameworks is screened against
 * the sanctions lists unless it says `sanctions: off`; without a loaded list it is refused (fail closed)
 * with a precise reason rather than loaded unscreened.
 */
export function complianceChecksFor(def: JobDefinition, screening: ScreeningSetup | undefined): ComplianceChecks {
  const c = def.compliance;
  const checks: ComplianceChecks = {};
  if (c.frameworks.includes('AML')) {
    checks.aml = resolveAmlConfig(c.aml);
    if (c.sanctions === 'required') {
      if (!screening?.screener) {
        throw new StrongroomError(
          ErrorCode.FAILED_PRECONDITION,
          `job ${def.name} declares AML, which requires sanctions screening, but no sanctions list is loaded: set STRONGROOM_SANCTIONS_LISTS (or put the OFAC files in <home>/sanctions/), or set compliance.sanctions: off`,
        );
      }
      checks.sanctions = { screener: screening.screener, threshold: c.screeningThreshold ?? screening.threshold, ...(screening.breaker ? { breaker: screening.breaker } : {}) };
    }
  }
  if (c.frameworks.includes('KYC')) checks.kyc = c.kycPolicy;
  return checks;
}
