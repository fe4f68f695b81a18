// KYC records — the register the runs check accounts against (kyc_customers): a CSV file of account,
// customer_id, status and optionally expires_at and risk_level. Read and validated the same way by
// `strongroom kyc load` and by a job of `kind: kyc`: each record is kept (inserted, or updated by account)
// or rejected with a reason code, and read = kept + rejected.
import { type Hash } from 'node:crypto';
import { openCsvSource, parseRecords } from '@strongroom/connectors';
import { type SqlExec } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { findPans, redactPans } from '@strongroom/logging';
import { type Rejection } from '../types';

export const KYC_COLUMNS = ['account', 'customer_id', 'status', 'expires_at', 'risk_level'] as const;
const REQUIRED = ['account', 'customer_id', 'status'] as const;
const STATUSES = new Set(['VERIFIED', 'PENDING', 'REJECTED']);
const RISKS = new Set(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** One account's row of the register. */
export interface KycRow {
  recordNo: number;
  account: string;
  customerId: string;
  status: string;
  expiresAt: string | null;
  riskLevel: string;
}

/** What a KYC file held: the rows to keep (one per account), and every record rejected with its reason. */
export interface KycFile {
  header: string[];
  read: number;
  rows: KycRow[];
  rejected: Rejection[];
  /** Bytes of the file read. */
  bytes: number;
}

/** The columns of a KYC file's header, or a precise error naming the missing ones. */
export function kycColumns(header: readonly string[]): (column: string) => number {
  const lower = header.map((h) => h.trim().toLowerCase());
  const missing = REQUIRED.filter((c) => !lower.includes(c));
  if (missing.length)
    throw new StrongroomError(
      ErrorCode.SOURCE_MALFORMED,
      `the KYC file has no ${missing.join(', ')} column (columns: ${KYC_COLUMNS.join(', ')})`,
    );
  return (column) => lower.indexOf(column);
}

/** One record's row, or why it is rejected (the field at fault, when there is one). */
export function validateKycRecord(
  recordNo: number,
  get: (column: string) => string,
): KycRow | { code: Rejection['code']; message: string; field: string | null } {
  const account = get('account').trim();
  const customerId = get('customer_id').trim();
  const status = get('status').trim().toUpperCase();
  const expires = get('expires_at').trim();
  const risk = get('risk_level').trim().toUpperCase() || 'MEDIUM';
  if (!account) return { code: 'MISSING_FIELD', message: 'account is required', field: 'account' };
  if (!customerId) return { code: 'MISSING_FIELD', message: 'customer_id is required', field: 'customer_id' };
  if (account.length > 64)
    return { code: 'FIELD_TOO_LONG', message: 'account is longer than 64 characters', field: 'account' };
  if (customerId.length > 128)
    return { code: 'FIELD_TOO_LONG', message: 'customer_id is longer than 128 characters', field: 'customer_id' };
  if (CONTROL.test(account) || CONTROL.test(customerId))
    return {
      code: 'INVALID_CHARACTERS',
      message: 'account or customer_id contains control characters',
      field: CONTROL.test(account) ? 'account' : 'customer_id',
    };
  // the register is read by everyone with the KYC report: no card number in clear
  if (findPans(account).length || findPans(customerId).length)
    return {
      code: 'INVALID_PAN',
      message: 'a card number is not a KYC account or customer id (it would be stored in clear)',
      field: findPans(account).length ? 'account' : 'customer_id',
    };
  if (!STATUSES.has(status))
    return {
      code: 'INVALID_STATUS',
      message: `status "${status.slice(0, 20)}" is not VERIFIED, PENDING or REJECTED`,
      field: 'status',
    };
  if (!RISKS.has(risk))
    return {
      code: 'INVALID_RISK_LEVEL',
      message: `risk_level "${risk.slice(0, 20)}" is not LOW, MEDIUM, HIGH or CRITICAL`,
      field: 'risk_level',
    };
  if (expires && (!DATE.test(expires) || Number.isNaN(Date.parse(expires))))
    return {
      code: 'INVALID_DATE',
      message: `expires_at "${expires.slice(0, 40)}" is not an ISO 8601 date or timestamp`,
      field: 'expires_at',
    };
  return { recordNo, account, customerId, status, expiresAt: expires || null, riskLevel: risk };
}

/**
 * Checks one parsed record against the header: its row, or its rejection (raw text with card numbers
 * masked). `accounts` holds the accounts kept so far: a second record of an account is DUPLICATE_KEY.
 */
export function kycRecord(
  rec: { recordNo: number; fields: string[]; raw: string; error?: { code: string; message: string } },
  header: readonly string[],
  at: (column: string) => number,
  accounts: Set<string>,
): KycRow | Rejection {
  const reject = (code: Rejection['code'], message: string, field: string | null = null): Rejection => ({
    recordNo: rec.recordNo,
    raw: redactPans(rec.raw),
    code,
    message: redactPans(message), // a message quotes the value at fault: never a card number in clear
    field,
  });
  if (rec.error) return reject(rec.error.code as Rejection['code'], rec.error.message);
  if (rec.fields.length !== header.length)
    return reject('FIELD_COUNT_MISMATCH', `record has ${rec.fields.length} fields; the header has ${header.length}`);
  const v = validateKycRecord(rec.recordNo, (c) => (at(c) >= 0 ? (rec.fields[at(c)] ?? '') : ''));
  if ('code' in v) return reject(v.code, v.message, v.field);
  if (accounts.has(v.account))
    return reject(
      'DUPLICATE_KEY',
      `account ${redactPans(v.account).slice(0, 8)}… is in the file twice (an earlier record has it)`,
      'account',
    );
  accounts.add(v.account);
  return v;
}

/** Reads and validates a whole KYC file (`hash` receives every byte read, for its digest). */
export async function readKycFile(file: string, options: { delimiter?: string; hash?: Hash } = {}): Promise<KycFile> {
  const source = await openCsvSource({
    path: file,
    ...(options.delimiter ? { delimiter: options.delimiter } : {}),
    ...(options.hash ? { hash: options.hash } : {}),
  });
  const rows: KycRow[] = [];
  const rejected: Rejection[] = [];
  const accounts = new Set<string>();
  let read = 0;
  let bytes = 0;
  try {
    const at = kycColumns(source.header);
    for await (const batch of source.records({ records: 2000 })) {
      for (const r of batch) {
        read++;
        bytes = r.byteEnd;
        const out = kycRecord(r, source.header, at, accounts);
        if ('code' in out) rejected.push(out);
        else rows.push(out);
      }
    }
  } finally {
    source.close();
  }
  // the header is stored with the run (for replays): a column may be named after a card number
  return { header: source.header.map((h) => redactPans(h)), read, rows, rejected, bytes };
}

/** One raw CSV line of a KYC file (a dead letter, or its correction) against the file's header. */
export function kycLine(
  raw: string,
  recordNo: number,
  header: readonly string[],
  delimiter: string,
  accounts: Set<string>,
): KycRow | Rejection {
  const parsed = parseRecords(Buffer.from(`${raw}\n`), { delimiter: delimiter.charCodeAt(0) }, true).records;
  if (parsed.length !== 1)
    return {
      recordNo,
      raw: redactPans(raw),
      code: 'FIELD_COUNT_MISMATCH',
      message: 'a replayed record must be exactly one CSV line',
      field: null,
    };
  const p = parsed[0] as { fields: string[]; error?: { code: string; message: string } };
  return kycRecord(
    { recordNo, fields: p.fields, raw, ...(p.error ? { error: p.error } : {}) },
    header,
    kycColumns(header),
    accounts,
  );
}

/**
 * Inserts the rows, or updates the accounts' rows, in set-based statements, as coming from a file of
 * `sourceAt` (when it was submitted or loaded; now when not given): an account whose row comes from a
 * more recent file is left alone (an older file never undoes a newer one). Returns the accounts written.
 */
export async function upsertKycRows(exec: SqlExec, rows: readonly KycRow[], sourceAt?: Date): Promise<string[]> {
  const written: string[] = [];
  for (let i = 0; i < rows.length; i += 5000) {
    const part = rows.slice(i, i + 5000);
    const result = await exec(
      `INSERT INTO kyc_customers AS k (account, customer_id, status, expires_at, risk_level, updated_at, source_at)
       SELECT a, c, s, e, r, now(), coalesce($6::timestamptz, now())
         FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) AS u(a, c, s, e, r)
       ON CONFLICT (account) DO UPDATE SET customer_id = EXCLUDED.customer_id, status = EXCLUDED.status,
         expires_at = EXCLUDED.expires_at, risk_level = EXCLUDED.risk_level, updated_at = now(),
         source_at = EXCLUDED.source_at
        WHERE k.source_at IS NULL OR k.source_at <= EXCLUDED.source_at
       RETURNING k.account`,
      [
        part.map((r) => r.account),
        part.map((r) => r.customerId),
        part.map((r) => r.status),
        part.map((r) => r.expiresAt),
        part.map((r) => r.riskLevel),
        sourceAt ?? null,
      ],
    );
    for (const r of result) written.push(String(r['account']));
  }
  return written;
}
