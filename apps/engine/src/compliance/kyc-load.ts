// KYC records into the register the runs check accounts against (kyc_customers), from `strongroom kyc
// load`: every record is loaded (inserted, or updated by account) or rejected with a reason — read =
// loaded + rejected — in one transaction with its audit entry, so the register never holds half a file.
// The file is read and validated as a job of `kind: kyc` reads it (libs/pipeline kyc-records).
import { createHash } from 'node:crypto';
import { appendAudit } from '@strongroom/audit';
import { type DataSource, sqlExec } from '@strongroom/db';
import { ErrorCode, StrongroomError, coerceError } from '@strongroom/errors';
import { readKycFile, upsertKycRows } from '@strongroom/pipeline';

const MAX_LISTED = 100;

export interface KycRejection {
  recordNo: number;
  reasonCode: string;
  message: string;
}

export async function loadKycRecords(
  ds: DataSource,
  file: string,
  actor: string,
  reason: string,
): Promise<{ read: number; loaded: number; rejections: KycRejection[]; rejected: number; sha256: string }> {
  // one read: the digest for the audit entry is taken as the records are parsed
  const digest = createHash('sha256');
  const kyc = await readKycFile(file, { hash: digest }).catch((err) => {
    const e = coerceError(err);
    // a file without the KYC columns is a bad request here, not a bad source of a run
    throw e.code === ErrorCode.SOURCE_MALFORMED ? new StrongroomError(ErrorCode.INVALID_ARGUMENT, e.message) : e;
  });
  const sha256 = digest.digest('hex');
  await ds.transaction(async (em) => {
    await upsertKycRows(sqlExec(em), kyc.rows);
    await appendAudit(sqlExec(em), {
      actor,
      action: 'kyc:loaded',
      subject: { file, sha256 },
      details: { read: kyc.read, loaded: kyc.rows.length, rejected: kyc.rejected.length, reason },
    });
  });
  return {
    read: kyc.read,
    loaded: kyc.rows.length,
    rejected: kyc.rejected.length,
    rejections: kyc.rejected
      .slice(0, MAX_LISTED)
      .map((r) => ({ recordNo: r.recordNo, reasonCode: r.code, message: r.message })),
    sha256,
  };
}
