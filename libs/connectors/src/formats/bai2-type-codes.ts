/**
 * BAI2 code tables: the debit or credit direction of a 16 type code, the group status codes of a 02,
 * and the implied decimals of each currency's amounts.
 */

export const GROUP_STATUS: Readonly<Record<string, string>> = { '1': 'update', '2': 'deletion', '3': 'correction', '4': 'test only' };
/** ISO 4217 minor units where they are not 2 (amounts carry implied decimals by currency). */
export const CURRENCY_DECIMALS: Readonly<Record<string, number>> = {
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3, CLF: 4, UYW: 4,
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
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
