// Minimal HS256 JSON Web Tokens (RFC 7519 / RFC 7515 compact form) on node:crypto only, so this file
// can move to a util lib unchanged. It grows into JWKS/RS256 later; until then it accepts exactly one
// algorithm and refuses everything else (including `alg: none`).
//
// Token = base64url(header) "." base64url(payload) "." base64url(HMAC-SHA256(secret, first two parts))
// header  = {"alg":"HS256","typ":"JWT"}
// payload = {"sub": string, "roles": string[], "iat": seconds, "exp": seconds[, "nbf": seconds]}
// base64url is RFC 4648 §5 without padding; the secret is used as its UTF-8 bytes.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface TokenClaims {
  /** Subject: who the token speaks for (printable ASCII, 1..256 characters). */
  readonly sub: string;
  /** Role names as issued; the caller decides which ones it knows. */
  readonly roles: readonly string[];
  /** Expiry, seconds since the epoch (required). */
  readonly exp: number;
  /** Not before, seconds since the epoch (optional). */
  readonly nbf?: number;
  /** Issued at, seconds since the epoch (optional). */
  readonly iat?: number;
}

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

export interface VerifyOptions {
  /** Current time in ms since the epoch (default Date.now()); tests pass a fixed clock. */
  readonly now?: number;
  /** Allowed clock skew in seconds for exp/nbf (default 30). */
  readonly clockToleranceSeconds?: number;
  /** Required `iss` claim, when set. */
  readonly issuer?: string;
  /** Required `aud` claim (or one of its values), when set. */
  readonly audience?: string;
  /**
   * Longest lifetime accepted, in seconds (default 12 h): `exp - iat`, or the time left when the token
   * carries no `iat`. A token valid for years is a stolen credential that never expires.
   */
  readonly maxLifetimeSeconds?: number;
}

/** Default of VerifyOptions.maxLifetimeSeconds: 12 hours. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 12 * 3600;

/** Longest token accepted; bounds the work done on hostile input. */
export const MAX_TOKEN_LENGTH = 8192;
export const BASE64URL = /^[A-Za-z0-9_-]+$/;
const SUBJECT = /^[\x21-\x7e][\x20-\x7e]{0,255}$/;

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

function hmac(secret: string, signingInput: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(signingInput, 'ascii').digest('base64url');
}

export function decodeJsonSegment(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new TokenError('malformed');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TokenError('malformed');
  return value as Record<string, unknown>;
}

function isSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
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

/**
 * Verifies a compact HS256 token and returns its claims, or throws TokenError. Checks, in order:
 * shape, header (`alg` must be exactly HS256, no `crit`), signature (constant-time comparison of the
 * canonical encoding, so no alternative encodings of one signature are accepted), then exp/nbf and
 * the `sub`/`roles` claims.
 */
export function verifyHs256Jwt(token: string, secret: string, options: VerifyOptions = {}): TokenClaims {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new TokenError('malformed');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) throw new TokenError('malformed');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];

  const header = decodeJsonSegment(headerPart);
  if (header.alg !== 'HS256' || 'crit' in header) throw new TokenError('unsupported_algorithm');
  if (header.typ !== undefined && header.typ !== 'JWT') throw new TokenError('malformed');

  const expected = Buffer.from(hmac(secret, `${headerPart}.${payloadPart}`), 'ascii');
  const actual = Buffer.from(signaturePart, 'ascii');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    throw new TokenError('bad_signature');
  }

  return checkClaims(decodeJsonSegment(payloadPart), options);
}

/** Checks exp/nbf/iat and the `sub`/`roles` claims of a verified payload (shared by every algorithm). */
export function checkClaims(payload: Record<string, unknown>, options: VerifyOptions = {}): TokenClaims {
  const nowSeconds = (options.now ?? Date.now()) / 1000;
  const tolerance = options.clockToleranceSeconds ?? 30;
  const { sub, roles, exp, nbf, iat } = payload;
  if (!isSeconds(exp)) throw new TokenError('invalid_claims');
  if (nbf !== undefined && !isSeconds(nbf)) throw new TokenError('invalid_claims');
  if (iat !== undefined && !isSeconds(iat)) throw new TokenError('invalid_claims');
  if (nowSeconds >= exp + tolerance) throw new TokenError('expired');
  if (nbf !== undefined && nowSeconds < nbf - tolerance) throw new TokenError('not_yet_valid');
  const maxLifetime = options.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  if (exp - (iat ?? nowSeconds) > maxLifetime + tolerance) throw new TokenError('too_long_lived');
  if (typeof sub !== 'string' || !SUBJECT.test(sub)) throw new TokenError('invalid_claims');
  if (!Array.isArray(roles) || !roles.every((r): r is string => typeof r === 'string')) {
    throw new TokenError('invalid_claims');
  }
  if (options.issuer !== undefined && payload['iss'] !== options.issuer) throw new TokenError('invalid_claims');
  if (options.audience !== undefined) {
    const aud = payload['aud'];
    if (!(aud === options.audience || (Array.isArray(aud) && aud.includes(options.audience))))
      throw new TokenError('invalid_claims');
  }
  return Object.freeze({
    sub,
    roles: Object.freeze([...roles]),
    exp,
    ...(nbf === undefined ? {} : { nbf }),
    ...(iat === undefined ? {} : { iat }),
  });
}
