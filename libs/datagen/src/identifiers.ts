/** An IBAN with correct ISO 13616 check digits for a country and BBAN. */
export function ibanFor(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`;
  const digits = rearranged.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rem = 0;
  for (const ch of digits) rem = (rem * 10 + (ch.charCodeAt(0) - 48)) % 97;
  return `${country}${String(98 - rem).padStart(2, '0')}${bban}`;
}

/** Appends the Luhn check digit to a digit string (for test card numbers). */
export function luhnComplete(partial: string): string {
  let sum = 0;
  let double = true;
  for (let i = partial.length - 1; i >= 0; i--) {
    let d = partial.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return `${partial}${(10 - (sum % 10)) % 10}`;
}
