import { TokenError, verifyHs256Jwt, type TokenClaims } from './hs256-jwt';
import { verifyJwksJwt } from './jwks-jwt';
import { ROLES, type Role } from './roles';

/**
 * How a service verifies bearer tokens — the same for the gateway and the engine: HS256 with a shared
 * secret (development) and/or RS256/ES256 against the identity provider's keys (production), each only
 * when configured, with the required issuer and audience and a maximum lifetime.
 */
export interface BearerSettings {
  /** HS256 secret of development tokens; undefined = HS256 refused. */
  readonly hs256Secret?: string | undefined;
  /** The current RS256/ES256 verification keys, when configured. */
  readonly jwks?: () => Parameters<typeof verifyJwksJwt>[1];
  readonly issuer?: string;
  readonly audience?: string;
  /** Longest token lifetime accepted, seconds (default 12 h). */
  readonly maxLifetimeSeconds?: number;
}

/** A verified caller: the token's subject and its known roles (unknown role names are dropped). */
export interface Principal {
  readonly sub: string;
  readonly roles: readonly Role[];
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/** The token of an `Authorization: Bearer <token>` value, or undefined when it is not one. */
export function bearerToken(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
}

/** The `alg` of a token's header, without trusting anything else in it ('' when unreadable). */
function headerAlg(token: string): string {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as {
      alg?: unknown;
    };
    return typeof header.alg === 'string' ? header.alg : '';
  } catch {
    return '';
  }
}

/** Verifies a bearer token by the algorithm its header names, if that algorithm is configured. Throws TokenError. */
export function verifyBearer(token: string, settings: BearerSettings, now?: number): Principal {
  const hs256 = headerAlg(token) === 'HS256';
  if (hs256 && settings.hs256Secret === undefined) throw new TokenError('unsupported_algorithm');
  if (!hs256 && settings.jwks === undefined) throw new TokenError('unsupported_algorithm');
  const options = {
    ...(now === undefined ? {} : { now }),
    ...(settings.maxLifetimeSeconds ? { maxLifetimeSeconds: settings.maxLifetimeSeconds } : {}),
  };
  const claims: TokenClaims = hs256
    ? verifyHs256Jwt(token, settings.hs256Secret as string, options)
    : verifyJwksJwt(token, settings.jwks?.() ?? [], {
        ...options,
        ...(settings.issuer ? { issuer: settings.issuer } : {}),
        ...(settings.audience ? { audience: settings.audience } : {}),
      });
  const roles = [...new Set(claims.roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r)))];
  return Object.freeze({ sub: claims.sub, roles: Object.freeze(roles) });
}
