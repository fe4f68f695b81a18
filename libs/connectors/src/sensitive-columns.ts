/**
 * Columns that hold sensitive authentication data (PCI DSS 3.3.1: never stored after authorization, not
 * even encrypted): card verification codes, PINs and PIN blocks, magnetic-stripe or chip track data — and,
 * in a file that also carries card numbers, the expiry date next to them. They are recognised by their
 * header name (case, spaces and punctuation ignored) and dropped as the file is read, before anything is
 * stored: not loaded, not in a dead letter's raw text.
 */
const SAD = new Set([
  'cvv',
  'cvv2',
  'cvc',
  'cvc2',
  'cid',
  'csc',
  'cav2',
  'cvn',
  'cvd',
  'cvn2',
  'securitycode',
  'cardsecuritycode',
  'cardverificationvalue',
  'cardverificationcode',
  'cardcode',
  'pin',
  'pincode',
  'pinnumber',
  'pinblock',
  'pindata',
  'track',
  'track1',
  'track2',
  'track1data',
  'track2data',
  'trackdata',
  'magstripe',
  'magneticstripe',
  'magstripedata',
  'stripedata',
  'chipdata',
  'emvdata',
  'icc',
  'iccdata',
]);
const EXPIRY = new Set([
  'exp',
  'expiry',
  'expirydate',
  'expiration',
  'expirationdate',
  'expdate',
  'expmonth',
  'expyear',
  'expmm',
  'expyy',
  'expmmyy',
  'validthru',
  'validuntil',
  'cardexpiry',
  'cardexp',
  'cardexpirydate',
  'ccexp',
]);
const CARD = new Set([
  'card',
  'pan',
  'cardnumber',
  'cardno',
  'cardnum',
  'ccnumber',
  'ccnum',
  'cc',
  'creditcard',
  'creditcardnumber',
  'debitcard',
  'debitcardnumber',
  'primaryaccountnumber',
  'cardpan',
]);

const norm = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Whether a column of this name holds sensitive authentication data (whatever else is in the file). */
export function isSensitiveAuthColumn(name: string): boolean {
  return SAD.has(norm(name));
}

/** The positions of the columns of `header` to drop: sensitive authentication data, and expiry beside a card column. */
export function sensitiveColumns(header: readonly string[]): number[] {
  const withCard = header.some((h) => CARD.has(norm(h)));
  return header.flatMap((h, i) => (SAD.has(norm(h)) || (withCard && EXPIRY.has(norm(h))) ? [i] : []));
}
