import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { redactPans } from '@strongroom/logging';

/**
 * A text an operator or auditor gives (a reason, a resolution, a hold value): trimmed, required, at most
 * `max` characters, and stored through the card-data detector — a card number quoted in it is kept masked
 * (PCI DSS 3.5.1), never in clear.
 */
export function operatorText(text: string, what: string, max = 2000): string {
  const t = text.trim();
  if (!t) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, `${what} is required`);
  if (t.length > max)
    throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, `${what} must be at most ${max} characters`);
  return redactPans(t);
}
