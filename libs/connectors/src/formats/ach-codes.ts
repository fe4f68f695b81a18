// NACHA code tables: service classes, SEC codes (and which carry only debits or credits), transaction
// codes, addenda types, IAT transaction types, and the return and change reason codes.

export const SERVICE_CLASSES = new Set(['200', '220', '225', '280']);
export const SEC_CODES = new Set([
  'ACK',
  'ADV',
  'ARC',
  'ATX',
  'BOC',
  'CCD',
  'CIE',
  'COR',
  'CTX',
  'DNE',
  'ENR',
  'IAT',
  'MTE',
  'POP',
  'POS',
  'PPD',
  'RCK',
  'SHR',
  'TEL',
  'TRC',
  'TRX',
  'WEB',
  'XCK',
]);
/** SEC codes whose entries are debits (a reversal batch of them holds credits only). */
export const DEBIT_ONLY_SEC = new Set(['ARC', 'BOC', 'POP', 'RCK', 'TEL', 'XCK']);
export const CREDIT_ONLY_SEC = new Set(['CIE']);
export const CREDIT_CODES = new Set([
  '21',
  '22',
  '23',
  '24',
  '31',
  '32',
  '33',
  '34',
  '41',
  '42',
  '43',
  '44',
  '51',
  '52',
  '53',
  '54',
]);
export const DEBIT_CODES = new Set([
  '26',
  '27',
  '28',
  '29',
  '36',
  '37',
  '38',
  '39',
  '46',
  '47',
  '48',
  '49',
  '55',
  '56',
]);
export const ADV_CREDIT_CODES = new Set(['81', '83', '85', '87']);
export const ADV_DEBIT_CODES = new Set(['82', '84', '86', '88']);
/** The most addenda one entry may have (CTX allows 9,999). */
export const MAX_ADDENDA = 9999;
export const ADDENDA_TYPES = new Set(['02', '05', '10', '11', '12', '13', '14', '15', '16', '17', '18', '98', '99']);
export const IAT_TRANSACTION_TYPES = new Set([
  'ANN',
  'BUS',
  'DEP',
  'LOA',
  'MIS',
  'MOR',
  'PEN',
  'RLS',
  'REM',
  'SAL',
  'TAX',
  'TEL',
  'WEB',
  'ARC',
  'BOC',
  'POP',
  'RCK',
]);

export function standardReturnCode(code: string): boolean {
  const m = /^R(\d\d)$/.exec(code);
  if (!m) return false;
  const n = Number(m[1]);
  return (n >= 1 && n <= 53) || (n >= 61 && n <= 77) || (n >= 80 && n <= 85);
}
export function changeCode(code: string): boolean {
  const m = /^C(\d\d)$/.exec(code);
  if (!m) return false;
  const n = Number(m[1]);
  return (n >= 1 && n <= 14) || (n >= 61 && n <= 69);
}
