// RS256 / ES256 JSON Web Tokens verified against a JSON Web Key Set (RFC 7517), on node:crypto only —
// the production way to authenticate: the identity provider signs with its private key, the gateway
// holds only public keys (from a JWKS file or URL). The key is chosen by `kid` and must be of the
// algorithm's type (RSA for RS256, EC P-256 for ES256): a token cannot pick a weaker algorithm, and an
// HS256 token "signed" with a public key (algorithm confusion) is refused.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import {
  BASE64URL,
  MAX_TOKEN_LENGTH,
  TokenError,
  checkClaims,
  decodeJsonSegment,
  type TokenClaims,
  type VerifyOptions,
} from './hs256-jwt';

export interface JsonWebKeySet {
  keys: (Record<string, unknown> & { kty?: string; kid?: string; alg?: string; use?: string; crv?: string })[];
}

interface LoadedKey {
  kid: string | undefined;
  alg: 'RS256' | 'ES256';
  key: KeyObject;
}

/** Parses a JWKS into verification keys; keys of other types or uses are ignored, a set without usable keys is an error. */
export function loadJwks(jwks: unknown): LoadedKey[] {
  const keys = (jwks as JsonWebKeySet)?.keys;
  if (!Array.isArray(keys)) throw new Error('a JWKS must be an object with a "keys" array');
  const out: LoadedKey[] = [];
  for (const jwk of keys) {
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    const alg = jwk.kty === 'RSA' ? 'RS256' : jwk.kty === 'EC' && jwk.crv === 'P-256' ? 'ES256' : undefined;
    if (!alg || (jwk.alg !== undefined && jwk.alg !== alg)) continue;
    if ('d' in jwk) throw new Error('the JWKS holds a private key; give the gateway public keys only');
    out.push({
      kid: typeof jwk.kid === 'string' ? jwk.kid : undefined,
      alg,
      key: createPublicKey({ key: jwk as never, format: 'jwk' }),
    });
  }
  if (!out.length) throw new Error('the JWKS has no RS256 (RSA) or ES256 (EC P-256) signing key');
  return out;
}

/** Verifies a compact RS256/ES256 token against `keys` and returns its claims, or throws TokenError. */
export function verifyJwksJwt(token: string, keys: readonly LoadedKey[], options: VerifyOptions = {}): TokenClaims {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new TokenError('malformed');
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) throw new TokenError('malformed');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJsonSegment(headerPart);
  if ((header['alg'] !== 'RS256' && header['alg'] !== 'ES256') || 'crit' in header)
    throw new TokenError('unsupported_algorithm');
  const kid = typeof header['kid'] === 'string' ? header['kid'] : undefined;
  const candidates = keys.filter(
    (k) => k.alg === header['alg'] && (kid === undefined ? keys.length === 1 || k.kid === undefined : k.kid === kid),
  );
  if (!candidates.length) throw new TokenError('bad_signature');
  const data = Buffer.from(`${headerPart}.${payloadPart}`, 'ascii');
  const signature = Buffer.from(signaturePart, 'base64url');
  const ok = candidates.some((k) =>
    k.alg === 'RS256'
      ? verify('sha256', data, k.key, signature)
      : signature.length === 64 && verify('sha256', data, { key: k.key, dsaEncoding: 'ieee-p1363' }, signature),
  );
  if (!ok) throw new TokenError('bad_signature');
  return checkClaims(decodeJsonSegment(payloadPart), options);
}
