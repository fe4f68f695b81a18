// HS256 development tokens (RFC 7519 compact form): signing, and the refusals every verification shares.
// Verification itself is jose's (bearer.ts).
//
// Token = base64url(header) "." base64url(payload) "." base64url(HMAC-SHA256(secret, first two parts))
// header  = {"alg":"HS256","typ":"JWT"}
// payload = {"sub": string, "roles": string[], "iat": seconds, "exp": seconds}
import { createHmac } from 'node:crypto';

export type TokenRejection =
  | 'malformed'
  | 'unsupported_algorithm'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'invalid_claims'
  | 'too_long_lived';

/** Why a token was refused. `reason` is safe to show the caller; the token itself never is. */
export class TokenError extends Error {
  readonly reason: TokenRejection;
  constructor(reason: TokenRejection) {
    super(`token rejected: ${reason}`);
    this.name = 'TokenError';
    this.reason = reason;
  }
}

/** Default longest token lifetime: 12 hours. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 12 * 3600;

const SUBJECT = /^[\x21-\x7e][\x20-\x7e]{0,255}$/;

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function hmac(secret: string, signingInput: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(signingInput, 'ascii').digest('base64url');
}

/**
 * Signs a short-lived token for development (`npm start` prints one). `roles` should be drawn from
 * viewer | operator | auditor | admin.
 */
export function signDevToken(
  claims: { sub: string; roles: readonly string[]; ttlSeconds: number },
  secret: string,
  now: number = Date.now(),
): string {
  if (!SUBJECT.test(claims.sub)) throw new TypeError('sub must be 1..256 printable ASCII characters');
  if (!(claims.ttlSeconds > 0)) throw new TypeError('ttlSeconds must be positive');
  const iat = Math.floor(now / 1000);
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(
    JSON.stringify({ sub: claims.sub, roles: [...claims.roles], iat, exp: iat + Math.floor(claims.ttlSeconds) }),
  );
  return `${header}.${payload}.${hmac(secret, `${header}.${payload}`)}`;
}
