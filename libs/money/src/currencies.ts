/**
 * ISO 4217 active currency codes with their minor-unit exponent (number of decimal places).
 * Funds codes with a defined exponent are included (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW);
 * codes without minor units (XAU, XAG, XPD, XPT, XDR, XBA..XBD, XSU, XUA, XTS, XXX) are not currencies
 * a transaction can be booked in here and are rejected.
 */
const EXPONENT_0 = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF';
const EXPONENT_3 = 'BHD IQD JOD KWD LYD OMR TND';
const EXPONENT_4 = 'CLF UYW';
const EXPONENT_2 = `AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD
  CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ
  GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT
  MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD
  SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED
  VES WST XCD XCG YER ZAR ZMW ZWG`;

const TABLE = new Map<string, number>();
for (const [codes, exp] of [
  [EXPONENT_0, 0],
  [EXPONENT_2, 2],
  [EXPONENT_3, 3],
  [EXPONENT_4, 4],
] as const) {
  for (const code of codes.split(/\s+/).filter(Boolean)) TABLE.set(code, exp);
}

/** Minor-unit exponent of an ISO 4217 code, or undefined when it is not an active currency code. */
export function currencyExponent(code: string): number | undefined {
  return TABLE.get(code);
}

export function isCurrency(code: string): boolean {
  return TABLE.has(code);
}

/** The currency codes by their three ASCII bytes (b0 << 16 | b1 << 8 | b2). */
const BY_BYTES = new Map<number, string>([...TABLE.keys()].map((c) => [codeKey(c), c]));

function codeKey(code: string): number {
  return (code.charCodeAt(0) << 16) | (code.charCodeAt(1) << 8) | code.charCodeAt(2);
}

/**
 * The active currency code written exactly (upper case, nothing around it) as the bytes buf[from, to), or
 * undefined: the same code string isCurrency knows, with no string made.
 */
export function currencyAt(buf: Uint8Array, from: number, to: number): string | undefined {
  if (to - from !== 3) return undefined;
  return BY_BYTES.get(((buf[from] as number) << 16) | ((buf[from + 1] as number) << 8) | (buf[from + 2] as number));
}
