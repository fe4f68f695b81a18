import { createHmac } from 'node:crypto';
import { luhnValid } from '@strongroom/money';
import { digitsOnly, isCompactIban, removeSensitiveAuthData, replacePans } from '@strongroom/logging';

/** HMAC key used to tokenize card numbers; `id` is recorded with every token (key rotation). */
export interface PanKey {
  id: string;
  secret: Buffer;
}

export interface ProtectedPan {
  /** `<keyId>:<base64url HMAC-SHA-256 of the digits>`: equal PANs give equal tokens under one key. */
  token: string;
  /** First 6 / last 4 at most, the rest as `*`. */
  masked: string;
}

export interface PanProtector {
  /**
   * Tokenizes and masks a card number (13–19 digits, Luhn-valid; separators, invisible characters and
   * full-width digits allowed).
   * Returns undefined when the value is not a valid PAN.
   */
  protect(value: string): ProtectedPan | undefined;
  /**
   * Replaces every card number inside an identifier (txn_id, account, …) with its token. Unlike
   * masking, tokens keep distinct values distinct, so a numeric id that happens to look like a PAN
   * stays a usable, stable business key without ever being stored in clear.
   */
  tokenizeInText(text: string): string;
}

export function maskPan(digits: string): string {
  return `${digits.slice(0, 6)}${'*'.repeat(Math.max(0, digits.length - 10))}${digits.slice(-4)}`;
}

export function createPanProtector(key: PanKey): PanProtector {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(key.id)) throw new Error('PAN key id must be 1–32 characters [A-Za-z0-9_-]');
  if (key.secret.length < 32) throw new Error('PAN key secret must be at least 32 bytes');
  const token = (digits: string) => `${key.id}:${createHmac('sha256', key.secret).update(digits).digest('base64url')}`;
  return {
    protect(value) {
      // the declared card field: any separators, invisible characters and script digits, then Luhn (no IIN
      // check here — whatever is declared a card number is protected as one)
      const digits = digitsOnly(value);
      if (digits === undefined || !/^[0-9]{13,19}$/.test(digits) || !luhnValid(digits)) return undefined;
      return { token: token(digits), masked: maskPan(digits) };
    },
    // an account field that is one valid IBAN (most of them) has nothing to find: skip the scans
    tokenizeInText: (text) =>
      isCompactIban(text) ? text : replacePans(removeSensitiveAuthData(text), (digits) => `tok:${token(digits)}`),
  };
}
