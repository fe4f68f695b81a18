// Public API of @strongroom/money: exact amounts (decimal strings ↔ BigInt minor units, never a JS number),
// the ISO 4217 currency table, exact decimal arithmetic for control totals, strict ISO 8601 dates and
// timestamps, and the check digits of card numbers (Luhn) and IBANs (mod 97).
export { parseAmount, formatAmount, formatMinor, isCanonicalAmountAt, type Money, type MoneyResult } from './amount';
export { currencyExponent, currencyAt, isCurrency } from './currencies';
export { parseDec, addDec, negDec, decEquals, fromMinor, formatDec, DecimalSum, ZERO, type Dec } from './decimal';
export { parseDate, parseTimestamp, isDateAt, isCanonicalTimestampAt, type TemporalResult } from './dates';
export { luhnValid, ibanChecksumValid, isIban, isCompactIbanAt } from './check-digits';
export { cardNetwork, isCardNumber } from './card-networks';
