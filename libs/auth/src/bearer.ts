// Bearer-token verification on a kept library (jose): HS256 development tokens and RS256/ES256 tokens of
// the identity provider, against its JSON Web Key Set (a file, or a URL fetched with caching and key
// rotation). What jose does not decide is policy and stays here: the algorithm is pinned by which key is
// configured (a token cannot choose), `crit` headers and non-canonical encodings are refused before any
// cryptography, and the subject, roles and longest lifetime are checked after.
import { createSecretKey, type KeyObject } from 'node:crypto';
import { errors, createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, TokenError, type TokenRejection } from './hs256-jwt';
import { ROLES, type Role } from './roles';

/**
 * How a service verifies bearer tokens — the same for the gateway and the engine: HS256 with a shared
 * secret (development) and/or RS256/ES256 against the identity provider's keys (production), each only
 * when configured, with the required issuer and audience and a maximum lifetime.
 */
export interface BearerSettings {
  /** HS256 secret of development tokens; undefined = HS256 refused. */
  readonly hs256Secret?: string | undefined;
  /** The identity provider's keys (loadJwks for a file, jose's createRemoteJWKSet for a URL), when configured. */
  readonly jwks?: JWTVerifyGetKey;
  readonly issuer?: string;
  readonly audience?: string;
  /** Longest token lifetime accepted, seconds (default 12 h): `exp - iat`, or the time left without `iat`. */
  readonly maxLifetimeSeconds?: number;
  /** Allowed clock skew for exp/nbf, seconds (default 30). */
  readonly clockToleranceSeconds?: number;
}

/** A verified caller: the token's subject and its known roles (unknown role names are dropped). */
export interface Principal {
  readonly sub: string;
  readonly roles: readonly Role[];
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
/** Longest token accepted; bounds the work done on hostile input. */
const MAX_TOKEN_LENGTH = 8192;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const SUBJECT = /^[\x21-\x7e][\x20-\x7e]{0,255}$/;
const JWKS_ALGORITHMS = ['RS256', 'ES256'];
/** A JWT, or an OAuth 2.0 access token in JWT form (RFC 9068: `at+jwt`, as identity providers issue them). */
const TOKEN_TYPES = new Set(['jwt', 'at+jwt', 'application/at+jwt']);

/** The token of an `Authorization: Bearer <token>` value, or undefined when it is not one. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
}

/**
 * A JWKS document's RS256 (RSA) and ES256 (EC P-256) signing keys, as a key getter for verifyBearer.
 * Refuses a set holding a private key, or without a usable key.
 */
export function loadJwks(jwks: unknown): JWTVerifyGetKey {
  const keys = (jwks as { keys?: unknown })?.keys;
  if (!Array.isArray(keys)) throw new Error('a JWKS must be an object with a "keys" array');
  const usable = (keys as Record<string, unknown>[]).filter((jwk) => {
    if (jwk['use'] !== undefined && jwk['use'] !== 'sig') return false;
    const alg = jwk['kty'] === 'RSA' ? 'RS256' : jwk['kty'] === 'EC' && jwk['crv'] === 'P-256' ? 'ES256' : undefined;
    if (!alg || (jwk['alg'] !== undefined && jwk['alg'] !== alg)) return false;
    if ('d' in jwk) throw new Error('the JWKS holds a private key; give the gateway public keys only');
    return true;
  });
  if (!usable.length) throw new Error('the JWKS has no RS256 (RSA) or ES256 (EC P-256) signing key');
  return createLocalJWKSet({ keys: usable as never });
}

/** The HS256 key of a secret, imported once (importing it on every call cost more than the verification). */
const HMAC_KEYS = new Map<string, KeyObject>();
function hmacKey(secret: string): KeyObject {
  let key = HMAC_KEYS.get(secret);
  if (!key) {
    if (HMAC_KEYS.size > 16) HMAC_KEYS.clear();
    HMAC_KEYS.set(secret, (key = createSecretKey(Buffer.from(secret, 'utf8'))));
  }
  return key;
}

/** The policy checks before any cryptography; returns the header's alg. */
function precheck(token: string): string {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new TokenError('malformed');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) throw new TokenError('malformed');
  // one spelling per signature: unused trailing bits must be zero (a lenient decoder accepts twins)
  const signature = parts[2] as string;
  if (Buffer.from(signature, 'base64url').toString('base64url') !== signature) throw new TokenError('bad_signature');
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>;
  } catch {
    throw new TokenError('malformed');
  }
  if ('crit' in header) throw new TokenError('unsupported_algorithm');
  if (header['typ'] !== undefined && !TOKEN_TYPES.has(String(header['typ']).toLowerCase()))
    throw new TokenError('malformed');
  return typeof header['alg'] === 'string' ? header['alg'] : '';
}

/** jose's refusal → ours. */
function rejectionOf(err: unknown): TokenRejection {
  if (err instanceof TokenError) return err.reason;
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) return err.claim === 'nbf' ? 'not_yet_valid' : 'invalid_claims';
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return 'unsupported_algorithm';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return 'bad_signature';
  if (err instanceof errors.JWTInvalid) return 'invalid_claims';
  if (err instanceof errors.JWSInvalid) return 'malformed';
  return 'bad_signature'; // e.g. the identity provider's keys could not be fetched: nobody is verified
}

/**
 * Verifies a bearer token with the key its header's algorithm selects — HS256 with the development secret,
 * RS256/ES256 with the identity provider's keys — if that one is configured, then the issuer, audience,
 * expiry and not-before (jose), then the subject, roles and longest lifetime. Throws TokenError.
 */
export async function verifyBearer(token: string, settings: BearerSettings, now?: number): Promise<Principal> {
  try {
    const hs256 = precheck(token) === 'HS256';
    if (hs256 && settings.hs256Secret === undefined) throw new TokenError('unsupported_algorithm');
    if (!hs256 && settings.jwks === undefined) throw new TokenError('unsupported_algorithm');
    const tolerance = settings.clockToleranceSeconds ?? 30;
    const options = {
      algorithms: hs256 ? ['HS256'] : JWKS_ALGORITHMS,
      requiredClaims: ['exp'],
      clockTolerance: tolerance,
      ...(now === undefined ? {} : { currentDate: new Date(now) }),
      ...(!hs256 && settings.issuer ? { issuer: settings.issuer } : {}),
      ...(!hs256 && settings.audience ? { audience: settings.audience } : {}),
    };
    const { payload } = hs256
      ? await jwtVerify(token, hmacKey(settings.hs256Secret as string), options)
      : await jwtVerify(token, settings.jwks as JWTVerifyGetKey, options);
    const { sub, roles, exp, iat } = payload as { sub?: unknown; roles?: unknown; exp: number; iat?: number };
    if (typeof sub !== 'string' || !SUBJECT.test(sub)) throw new TokenError('invalid_claims');
    if (!Array.isArray(roles) || !roles.every((r): r is string => typeof r === 'string'))
      throw new TokenError('invalid_claims');
    const nowSeconds = (now ?? Date.now()) / 1000;
    const maxLifetime = settings.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
    if (exp - (iat ?? nowSeconds) > maxLifetime + tolerance) throw new TokenError('too_long_lived');
    const known = [...new Set(roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r)))];
    return Object.freeze({ sub, roles: Object.freeze(known) });
  } catch (err) {
    throw err instanceof TokenError ? err : new TokenError(rejectionOf(err));
  }
}
