/**
 * BAI2 code tables: the debit or credit direction of a 16 type code and the group status codes of a 02
 * (the implied decimals of each currency's amounts are its ISO 4217 exponent, @strongroom/money).
 */

export const GROUP_STATUS: Readonly<Record<string, string>> = {
  '1': 'update',
  '2': 'deletion',
  '3': 'correction',
  '4': 'test only',
};

/**
 * Direction of a 16 type code (Appendix A of the specification): 100–399 credit, 400–699 debit;
 * loans 720–728 (payment applied) credit and 760 (disbursement) debit; 920–959 customized credits,
 * 960–999 customized debits. 890 ("contains non-monetary information") has none: 0, not booked. Null
 * when BAI2 gives the code no direction (000–099 and 900–919 account status, 701–709 loan status, and
 * the unassigned rest of 700–899): guessing the sign of money is worse than refusing the file. (An
 * older reading, "700–799 loan detail: debit", would book the loan payments 720–728 the wrong way.)
 */
export function detailDirection(code: number): 1 | -1 | 0 | null {
  if ((code >= 100 && code <= 399) || (code >= 720 && code <= 728) || (code >= 920 && code <= 959)) return 1;
  if ((code >= 400 && code <= 699) || code === 760 || code >= 960) return -1;
  return code === 890 ? 0 : null;
}

/** Why a type code has no direction, for the error that refuses it. */
export function noDirection(code: number): string {
  if (code < 100) return 'an account status code';
  if (code >= 900 && code <= 919) return 'a customized account status code';
  if ([701, 703, 705, 707, 709].includes(code)) return 'a loan status code';
  return 'not assigned by BAI2';
}
