import { luhnValid } from './check-digits';

/**
 * Issuer identification number (IIN) ranges of the card networks, with the lengths their card numbers
 * have. A digit string is a possible card number only when it passes Luhn AND falls in one of these:
 * identifiers that no network issues (an ACH trace number starting with 0, a 16-digit account number
 * starting with 1, 7 or 9, …) are not card numbers whatever their check digit.
 * Sources: the networks' published IIN tables (Visa, Mastercard incl. 2-series, American Express, Discover
 * incl. its UnionPay/RuPay acceptance ranges, JCB, Diners Club, UnionPay, Maestro, Mir, RuPay, Troy, Verve).
 */
const RANGES: readonly { from: number; to: number; lengths: readonly number[]; network: string }[] = [
  { from: 4, to: 4, lengths: [13, 16, 19], network: 'visa' },
  { from: 51, to: 55, lengths: [16], network: 'mastercard' },
  { from: 2221, to: 2720, lengths: [16], network: 'mastercard' },
  { from: 34, to: 34, lengths: [15], network: 'amex' },
  { from: 37, to: 37, lengths: [15], network: 'amex' },
  { from: 6011, to: 6011, lengths: [16, 17, 18, 19], network: 'discover' },
  { from: 644, to: 649, lengths: [16, 17, 18, 19], network: 'discover' },
  { from: 65, to: 65, lengths: [16, 17, 18, 19], network: 'discover' },
  { from: 3528, to: 3589, lengths: [16, 17, 18, 19], network: 'jcb' },
  { from: 300, to: 305, lengths: [14, 15, 16, 17, 18, 19], network: 'diners' },
  { from: 3095, to: 3095, lengths: [14, 15, 16, 17, 18, 19], network: 'diners' },
  { from: 36, to: 36, lengths: [14, 15, 16, 17, 18, 19], network: 'diners' },
  { from: 38, to: 39, lengths: [14, 15, 16, 17, 18, 19], network: 'diners' },
  { from: 62, to: 62, lengths: [16, 17, 18, 19], network: 'unionpay' },
  { from: 81, to: 82, lengths: [16, 17, 18, 19], network: 'unionpay/rupay' },
  { from: 50, to: 50, lengths: [13, 14, 15, 16, 17, 18, 19], network: 'maestro' },
  { from: 56, to: 69, lengths: [13, 14, 15, 16, 17, 18, 19], network: 'maestro' },
  { from: 2200, to: 2204, lengths: [16, 17, 18, 19], network: 'mir' },
  { from: 60, to: 60, lengths: [16], network: 'rupay' },
  { from: 508, to: 508, lengths: [16], network: 'rupay' },
  { from: 9792, to: 9792, lengths: [16], network: 'troy' },
];

/** The network whose IIN range and length `digits` fits, or undefined. */
export function cardNetwork(digits: string): string | undefined {
  for (const r of RANGES) {
    const width = String(r.from).length;
    const prefix = Number(digits.slice(0, width));
    if (prefix >= r.from && prefix <= r.to && r.lengths.includes(digits.length)) return r.network;
  }
  return undefined;
}

/** Whether `digits` (ASCII digits only) can be a payment card number: 13–19 digits, Luhn, a network's IIN and length. */
export function isCardNumber(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && luhnValid(digits) && cardNetwork(digits) !== undefined;
}
