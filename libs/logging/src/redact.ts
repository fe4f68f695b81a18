/**
 * Masks anything that looks like a card number (13–19 digits, optionally separated by single spaces
 * or dashes, Luhn-valid) down to first 6 / last 4. A last line of defence for logs: the load path
 * tokenizes PANs long before anything is logged.
 */
const CANDIDATE = /(?<![0-9])[0-9](?:[ -]?[0-9]){12,18}(?![0-9])/g;

export function redactPans(text: string): string {
  return replacePans(text, (digits) => `${digits.slice(0, 6)}${'*'.repeat(digits.length - 10)}${digits.slice(-4)}`);
}

/**
 * Replaces every card number in `text` (13–19 digits, single spaces or dashes allowed between them,
 * Luhn-valid, not part of a longer digit run) with `replace(digits)`.
 */
export function replacePans(text: string, replace: (digits: string) => string): string {
  if (!/[0-9]{4}/.test(text) && !/[0-9][ -][0-9]/.test(text)) return text;
  return text.replace(CANDIDATE, (match) => {
    const digits = match.replace(/[ -]/g, '');
    if (digits.length < 13 || digits.length > 19 || !luhnValid(digits)) return match;
    return replace(digits);
  });
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}
