import { generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A test identity provider: an RSA key pair, its public JWKS written to `dir/jwks.json`, and a signer
 * for RS256 bearer tokens (what a bank's IdP issues in production), with its issuer and audience.
 */
export function makeTestIdp(
  dir: string,
  kid = 'test-rsa-1',
): {
  jwksFile: string;
  /** The `iss` and `aud` of its tokens, and the gateway settings that require them. */
  issuer: string;
  audience: string;
  env: { GATEWAY_JWKS_FILE: string; GATEWAY_JWT_ISSUER: string; GATEWAY_JWT_AUDIENCE: string };
  token(sub: string, roles: string[], ttlSeconds?: number, extra?: Record<string, unknown>): string;
} {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwksFile = path.join(dir, 'jwks.json');
  fs.writeFileSync(
    jwksFile,
    JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' }] }),
  );
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const issuer = 'https://idp.test';
  const audience = 'strongroom';
  return {
    jwksFile,
    issuer,
    audience,
    env: { GATEWAY_JWKS_FILE: jwksFile, GATEWAY_JWT_ISSUER: issuer, GATEWAY_JWT_AUDIENCE: audience },
    token(sub, roles, ttlSeconds = 600, extra = {}) {
      const now = Math.floor(Date.now() / 1000);
      const input = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64({ iss: issuer, aud: audience, sub, roles, iat: now, exp: now + ttlSeconds, ...extra })}`;
      return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    },
  };
}
