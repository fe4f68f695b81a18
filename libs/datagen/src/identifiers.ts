import { luhnValid } from '@strongroom/money';

/** An IBAN with correct ISO 13616 check digits for a country and BBAN. */
export function ibanFor(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`;
  const digits = rearranged.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rem = 0;
  for (const ch of digits) rem = (rem * 10 + (ch.charCodeAt(0) - 48)) % 97;
  return `${country}${String(98 - rem).padStart(2, '0')}${bban}`;
}

/** Appends the Luhn check digit to a digit string (for test card numbers): the one digit that makes it pass. */
export function luhnComplete(partial: string): string {
  for (let d = 0; d < 10; d++) if (luhnValid(`${partial}${d}`)) return `${partial}${d}`;
  throw new Error(`no Luhn check digit completes ${partial}`); // unreachable: exactly one digit always does
}
