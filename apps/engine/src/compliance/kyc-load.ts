// KYC records into the register the runs check accounts against (kyc_customers): a CSV file of account,
// customer_id, status and optionally expires_at and risk_level. Every record is loaded (inserted, or
// updated by account) or rejected with a reason — read = loaded + rejected — in one transaction with its
// audit entry, so the register never holds half a file.
import { createHash } from 'node:crypto';
import { appendAudit } from '@strongroom/audit';
import { openCsvSource } from '@strongroom/connectors';
import { type DataSource, sqlExec } from '@strongroom/db';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { findPans } from '@strongroom/logging';

const STATUSES = new Set(['VERIFIED', 'PENDING', 'REJECTED']);
const RISKS = new Set(['LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?$/;
const MAX_LISTED = 100;

export interface KycRejection {
  recordNo: number;
  reasonCode: string;
  message: string;
}

interface KycRow {
  account: string;
  customerId: string;
  status: string;
  expiresAt: string | null;
  riskLevel: string;
}

/** One record's row, or why it is rejected. */
function validate(get: (column: string) => string): KycRow | { code: string; message: string } {
  const account = get('account').trim();
  const customerId = get('customer_id').trim();
  const status = get('status').trim().toUpperCase();
  const expires = get('expires_at').trim();
  const risk = get('risk_level').trim().toUpperCase() || 'MEDIUM';
  if (!account) return { code: 'MISSING_FIELD', message: 'account is required' };
  if (!customerId) return { code: 'MISSING_FIELD', message: 'customer_id is required' };
  if (account.length > 64) return { code: 'FIELD_TOO_LONG', message: 'account is longer than 64 characters' };
  if (customerId.length > 128) return { code: 'FIELD_TOO_LONG', message: 'customer_id is longer than 128 characters' };
  if (CONTROL.test(account) || CONTROL.test(customerId))
    return { code: 'INVALID_CHARACTERS', message: 'account or customer_id contains control characters' };
  // the register is read by everyone with the KYC report: no card number in clear
  if (findPans(account).length || findPans(customerId).length)
    return {
      code: 'INVALID_PAN',
      message: 'a card number is not a KYC account or customer id (it would be stored in clear)',
    };
  if (!STATUSES.has(status))
    return { code: 'INVALID_STATUS', message: `status "${status.slice(0, 20)}" is not VERIFIED, PENDING or REJECTED` };
  if (!RISKS.has(risk))
    return {
      code: 'INVALID_RISK_LEVEL',
      message: `risk_level "${risk.slice(0, 20)}" is not LOW, MEDIUM, HIGH or CRITICAL`,
    };
  if (expires && (!DATE.test(expires) || Number.isNaN(Date.parse(expires))))
    return {
      code: 'INVALID_DATE',
      message: `expires_at "${expires.slice(0, 40)}" is not an ISO 8601 date or timestamp`,
    };
  return { account, customerId, status, expiresAt: expires || null, riskLevel: risk };
}

export async function loadKycRecords(
  ds: DataSource,
  file: string,
  actor: string,
  reason: string,
): Promise<{ read: number; loaded: number; rejections: KycRejection[]; rejected: number; sha256: string }> {
  // one read: the digest for the audit entry is taken as the records are parsed
  const digest = createHash('sha256');
  const source = await openCsvSource({ path: file, hash: digest });
  const header = source.header.map((h) => h.toLowerCase());
  const missing = ['account', 'customer_id', 'status'].filter((c) => !header.includes(c));
  if (missing.length) {
    source.close();
    throw new StrongroomError(
      ErrorCode.INVALID_ARGUMENT,
      `the KYC file has no ${missing.join(', ')} column (columns: account, customer_id, status, expires_at, risk_level)`,
    );
  }
  const at = (column: string) => header.indexOf(column);
  const rows = new Map<string, KycRow>();
  const rejections: KycRejection[] = [];
  let rejected = 0;
  let read = 0;
  const reject = (recordNo: number, code: string, message: string) => {
    rejected++;
    if (rejections.length < MAX_LISTED) rejections.push({ recordNo, reasonCode: code, message });
  };
  try {
    for await (const batch of source.records({ records: 2000 })) {
      for (const r of batch) {
        read++;
        if (r.error) {
          reject(r.recordNo, r.error.code, r.error.message);
          continue;
        }
        if (r.fields.length !== source.header.length) {
          reject(
            r.recordNo,
            'FIELD_COUNT_MISMATCH',
            `record has ${r.fields.length} fields; the header has ${source.header.length}`,
          );
          continue;
        }
        const v = validate((c) => (at(c) >= 0 ? (r.fields[at(c)] ?? '') : ''));
        if ('code' in v) reject(r.recordNo, v.code, v.message);
        else if (rows.has(v.account))
          reject(
            r.recordNo,
            'DUPLICATE_KEY',
            `account ${v.account.slice(0, 8)}… is in the file twice (an earlier record has it)`,
          );
        else rows.set(v.account, v);
      }
    }
  } finally {
    source.close();
  }
  const sha256 = digest.digest('hex');
  const list = [...rows.values()];
  await ds.transaction(async (em) => {
    for (let i = 0; i < list.length; i += 5000) {
      const part = list.slice(i, i + 5000);
      await em.query(
        `INSERT INTO kyc_customers (account, customer_id, status, expires_at, risk_level, updated_at)
         SELECT * , now() FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[])
         ON CONFLICT (account) DO UPDATE SET customer_id = EXCLUDED.customer_id, status = EXCLUDED.status,
           expires_at = EXCLUDED.expires_at, risk_level = EXCLUDED.risk_level, updated_at = now()`,
        [
          part.map((r) => r.account),
          part.map((r) => r.customerId),
          part.map((r) => r.status),
          part.map((r) => r.expiresAt),
          part.map((r) => r.riskLevel),
        ],
      );
    }
    await appendAudit(sqlExec(em), {
      actor,
      action: 'kyc:loaded',
      subject: { file, sha256 },
      details: { read, loaded: list.length, rejected, reason },
    });
  });
  return { read, loaded: list.length, rejected, rejections, sha256 };
}
