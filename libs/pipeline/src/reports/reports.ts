import { type DataSource } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { scanStoredCardData } from './card-data-scan';
import { type AccountForms } from '../retention/retention';

export const REPORT_FRAMEWORKS = ['SOX', 'PCI_DSS', 'AML', 'KYC'] as const;
export type ReportFramework = (typeof REPORT_FRAMEWORKS)[number];

/** A key the engine uses, for the PCI DSS key-age section. */
export interface KeyInfo {
  purpose: string;
  keyId: string;
  createdAt: Date | undefined;
}

export interface ReportInputs {
  /** How a clear account is stored in the sink (card token, blind index of encrypted jobs), for KYC matching. */
  accounts?: AccountForms;
  /**
   * A stored value as its reader may see it: a RESTRICTED (encrypted) value of `column` decrypted. Reports go
   * to auditors and admins, who read unmasked evidence; without it, encrypted values stay as stored.
   */
  readable?(value: string, column: string): string;
  /** Verifies the audit chain (with the stored checkpoints and the signing key). */
  verifyChain: () => Promise<{ ok: boolean; entries: number; firstBadSeq?: number; kind?: string }>;
  keys: KeyInfo[];
}

/** A compliance report: sections of named tables (rows of scalar values), renderable as JSON or CSV. */
export interface ComplianceReport {
  framework: ReportFramework;
  from: string;
  to: string;
  generatedAt: string;
  /** One-line verdict per control. */
  summary: Record<string, string | number | boolean>;
  sections: { name: string; rows: Record<string, string | number | boolean | null>[] }[];
}

/** Parses the period: dates (YYYY-MM-DD) or ISO timestamps; `to` is exclusive when a date (the whole day counts). */
export function reportPeriod(from: string, to: string): { from: Date; to: Date } {
  const parse = (s: string, end: boolean) => {
    if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
      const d = new Date(`${s}T00:00:00Z`);
      if (end) d.setUTCDate(d.getUTCDate() + 1);
      return d;
    }
    return new Date(s);
  };
  const f = parse(from, false);
  const t = parse(to, true);
  if (!from || !to || Number.isNaN(f.getTime()) || Number.isNaN(t.getTime()))
    throw new StrongroomError(
      ErrorCode.INVALID_ARGUMENT,
      'from and to must be dates (YYYY-MM-DD) or ISO 8601 timestamps',
    );
  if (t <= f) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, 'to must be after from');
  return { from: f, to: t };
}

/**
 * Builds the report of one framework over [from, to): what an auditor asks for, from the system's own
 * records — the audit chain, the runs, the alerts, the sink.
 */
export async function buildReport(
  ds: DataSource,
  framework: string,
  fromText: string,
  toText: string,
  inputs: ReportInputs,
): Promise<ComplianceReport> {
  if (!REPORT_FRAMEWORKS.includes(framework as ReportFramework)) {
    throw new StrongroomError(
      ErrorCode.INVALID_ARGUMENT,
      `framework must be one of ${REPORT_FRAMEWORKS.join(', ')} (got "${framework.slice(0, 20)}")`,
    );
  }
  const { from, to } = reportPeriod(fromText, toText);
  const report: ComplianceReport = {
    framework: framework as ReportFramework,
    from: from.toISOString(),
    to: to.toISOString(),
    generatedAt: new Date().toISOString(),
    summary: {},
    sections: [],
  };
  const p = [from, to];
  if (framework === 'SOX') {
    const chain = await inputs.verifyChain();
    report.summary = {
      auditChainVerified: chain.ok,
      auditEntries: chain.entries,
      ...(chain.ok ? {} : { firstBadSeq: chain.firstBadSeq ?? 0, tamperKind: chain.kind ?? '' }),
    };
    const changes = (await ds.query(
      `SELECT seq::int, occurred_at AS at, actor, action, subject->>'jobId' AS job_id, details->>'name' AS job_name, (details->>'version')::int AS version
         FROM immutable_audit_log WHERE action IN ('job:defined','job:changed','job:reverted') AND occurred_at >= $1 AND occurred_at < $2 ORDER BY seq`,
      p,
    )) as Record<string, string | number | null>[];
    const access = (await ds.query(
      `SELECT actor, action, count(*)::int AS count, min(occurred_at) AS first_at, max(occurred_at) AS last_at
         FROM immutable_audit_log WHERE occurred_at >= $1 AND occurred_at < $2 AND actor NOT LIKE 'service:%' GROUP BY actor, action ORDER BY actor, action`,
      p,
    )) as Record<string, string | number | null>[];
    const runs = (await ds.query(
      `SELECT status, count(*)::int AS runs, count(*) FILTER (WHERE reconciled)::int AS reconciled, coalesce(sum(records_read), 0)::text AS records_read,
              coalesce(sum(records_loaded), 0)::text AS records_loaded, coalesce(sum(records_dead_lettered), 0)::text AS records_dead_lettered
         FROM job_runs WHERE created_at >= $1 AND created_at < $2 GROUP BY status ORDER BY status`,
      p,
    )) as Record<string, string | number | null>[];
    // segregation of duties: every governed action's request and decision, by person (four eyes)
    const approvals = (await ds.query(
      `SELECT id, action, status, requested_by, requested_at, reason, decided_by, decided_at, decision_reason
         FROM approval_requests
        WHERE (requested_at >= $1 AND requested_at < $2) OR (decided_at >= $1 AND decided_at < $2)
        ORDER BY requested_at, id`,
      p,
    )) as Record<string, string | number | null>[];
    report.summary['jobDefinitionChanges'] = changes.length;
    report.summary['humanActors'] = new Set(access.map((a) => a['actor'])).size;
    report.summary['approvalRequests'] = approvals.length;
    report.sections.push(
      { name: 'job definition changes', rows: changes.map(iso) },
      { name: 'access (actions by people and tools)', rows: access.map(iso) },
      { name: 'approvals (four eyes: requests and decisions)', rows: approvals.map(iso) },
      { name: 'runs', rows: runs },
    );
  } else if (framework === 'PCI_DSS') {
    // every text column of every table, each value on its own, with the one card-data detector
    const scan = await scanStoredCardData(ds, { from: p[0] as Date, to: p[1] as Date });
    const found = scan.findings.map((f) => ({ ...f }));
    const [cards] = (await ds.query(
      `SELECT count(*) FILTER (WHERE card_pan_token IS NOT NULL)::int AS tokenized FROM transactions WHERE loaded_at >= $1 AND loaded_at < $2`,
      p,
    )) as { tokenized: number }[];
    const now = Date.now();
    const keys = inputs.keys.map((k) => ({
      purpose: k.purpose,
      keyId: k.keyId,
      createdAt: k.createdAt?.toISOString() ?? null,
      ageDays: k.createdAt ? Math.floor((now - k.createdAt.getTime()) / 86_400_000) : null,
    }));
    report.summary = {
      panScanClean: found.length === 0,
      tablesScanned: scan.tablesScanned,
      valuesScanned: scan.valuesScanned,
      valuesWithCardNumbers: found.length,
      cardsTokenized: cards?.tokenized ?? 0,
      oldestKeyAgeDays: Math.max(0, ...keys.map((k) => k.ageDays ?? 0)),
    };
    report.sections.push({ name: 'card numbers found in clear', rows: found }, { name: 'keys', rows: keys });
  } else if (framework === 'AML') {
    const byRule = (await ds.query(
      `SELECT rule, count(*)::int AS alerts, count(*) FILTER (WHERE status = 'OPEN')::int AS open, count(*) FILTER (WHERE status = 'ESCALATED')::int AS escalated,
              count(*) FILTER (WHERE status = 'CLOSED')::int AS closed
         FROM compliance_alerts WHERE created_at >= $1 AND created_at < $2 GROUP BY rule ORDER BY rule`,
      p,
    )) as Record<string, string | number>[];
    const large = (await ds.query(
      `SELECT a.source_system, a.txn_id, a.account, a.booked_at, a.evidence->>'amount' AS amount, a.evidence->>'currency' AS currency,
              a.evidence->>'usdEquivalent' AS usd_equivalent, a.status
         FROM compliance_alerts a WHERE a.rule = 'LARGE_TRANSACTION' AND a.created_at >= $1 AND a.created_at < $2 ORDER BY a.booked_at, a.txn_id`,
      p,
    )) as Record<string, string | number | null>[];
    const escalations = (await ds.query(
      `SELECT seq::int, occurred_at AS at, actor, subject->>'alertId' AS alert_id, subject->>'rule' AS rule, details->>'reason' AS reason
         FROM immutable_audit_log WHERE action = 'alert:escalated' AND occurred_at >= $1 AND occurred_at < $2 ORDER BY seq`,
      p,
    )) as Record<string, string | number | null>[];
    report.summary = {
      alerts: byRule.reduce((s, r) => s + Number(r['alerts']), 0),
      largeTransactions: large.length,
      escalations: escalations.length,
    };
    report.sections.push(
      { name: 'alerts by rule', rows: byRule },
      {
        name: 'large transactions',
        rows: large.map((r) => ({
          ...iso(r),
          account:
            typeof r['account'] === 'string' ? (inputs.readable?.(r['account'], 'account') ?? r['account']) : null,
        })),
      },
      { name: 'escalations', rows: escalations.map(iso) },
    );
  } else {
    // an account is one account however it is stored: clear, as a card token, or encrypted (each row's
    // ciphertext differs) with its blind index beside it — KYC records are matched by all three forms
    const kyc = (await ds.query(`SELECT account FROM kyc_customers`)) as { account: string }[];
    const forms = kyc.flatMap(({ account }) => {
      const stored = inputs.accounts?.stored(account) ?? account;
      const bidx = inputs.accounts?.blindIndex?.(stored);
      return [[stored, account], ...(bidx ? [[bidx, account]] : [])] as [string, string][];
    });
    const coverage = (await ds.query(
      `WITH accounts AS (SELECT coalesce(account_bidx, account) AS key, max(booked_at) AS last_booked FROM transactions
                          WHERE booked_at >= $1 AND booked_at < $2 GROUP BY 1),
            kyc_keys AS (SELECT DISTINCT ON (key) key, account FROM unnest($3::text[], $4::text[]) AS f(key, account))
       SELECT CASE WHEN k.account IS NULL THEN 'MISSING'
                   WHEN k.status <> 'VERIFIED' THEN k.status
                   WHEN k.expires_at IS NOT NULL AND k.expires_at < a.last_booked THEN 'EXPIRED'
                   ELSE 'VALID' END AS kyc, count(*)::int AS accounts
         FROM accounts a LEFT JOIN kyc_keys f ON f.key = a.key LEFT JOIN kyc_customers k ON k.account = f.account
        GROUP BY 1 ORDER BY 1`,
      [...p, forms.map((f) => f[0]), forms.map((f) => f[1])],
    )) as { kyc: string; accounts: number }[];
    const total = coverage.reduce((s, r) => s + r.accounts, 0);
    const valid = coverage.find((r) => r.kyc === 'VALID')?.accounts ?? 0;
    const [alerts] = (await ds.query(
      `SELECT count(*)::int AS n FROM compliance_alerts WHERE rule = 'KYC' AND created_at >= $1 AND created_at < $2`,
      p,
    )) as { n: number }[];
    report.summary = {
      accounts: total,
      withValidKyc: valid,
      coveragePercent: total ? Math.round((10_000 * valid) / total) / 100 : 100,
      kycAlerts: alerts?.n ?? 0,
    };
    report.sections.push({ name: 'coverage', rows: coverage });
  }
  return report;
}

function iso(row: Record<string, unknown>): Record<string, string | number | boolean | null> {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [
      k,
      v instanceof Date ? v.toISOString() : (v as string | number | boolean | null),
    ]),
  );
}

/**
 * A cell that a spreadsheet would run as a formula (`=HYPERLINK(…)` as a transaction id, a reason or an
 * actor) starts with a quote instead, so opening the export cannot attack its reader (OWASP CSV injection).
 * Plain numbers, negative ones included, stay as they are.
 */
export function neutraliseFormula(s: string): string {
  return /^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/.test(s) && !/^[+-]?\d+(\.\d+)?$/.test(s) ? `'${s}` : s;
}

/** CSV rendering: `section,row,column,value` — one line per cell, so every section fits one file; RFC 4180 quoting. */
export function reportToCsv(r: ComplianceReport): string {
  const q = (v: unknown) => {
    const s = neutraliseFormula(v === null || v === undefined ? '' : String(v));
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = ['section,row,column,value'];
  for (const [k, v] of Object.entries({ framework: r.framework, from: r.from, to: r.to, generatedAt: r.generatedAt }))
    lines.push(['report', 0, k, v].map(q).join(','));
  for (const [k, v] of Object.entries(r.summary)) lines.push(['summary', 0, k, v].map(q).join(','));
  for (const s of r.sections)
    s.rows.forEach((row, i) =>
      Object.entries(row).forEach(([k, v]) => lines.push([s.name, i + 1, k, v].map(q).join(','))),
    );
  return `${lines.join('\r\n')}\r\n`;
}
