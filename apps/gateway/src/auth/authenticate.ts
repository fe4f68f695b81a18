// Authentication: turns the `authorization` header into an Actor, or refuses the request with
// UNAUTHENTICATED (HTTP 401). Roles are decided here; which role may do what is authorization.ts.
import { unauthenticated } from '../errors/gateway-error';
import { ROLES, TokenError, verifyHs256Jwt, verifyJwksJwt, type Role } from '@strongroom/auth';

export { ROLES, type Role };

export interface Actor {
  /** Token subject; forwarded to the engine as `x-strongroom-actor`. */
  readonly sub: string;
  /** Known roles of the token (unknown role names are dropped, not rejected). */
  readonly roles: readonly Role[];
}

export interface AuthSettings {
  readonly authEnabled: boolean;
  /** HS256 secret (development tokens); refused in production. */
  readonly jwtSecret: string | undefined;
  /** The current RS256/ES256 verification keys (from GATEWAY_JWKS_FILE or GATEWAY_JWKS_URL), when configured. */
  readonly jwks?: () => Parameters<typeof verifyJwksJwt>[1];
  /** Required `iss` / `aud` of JWKS tokens, when configured. */
  readonly issuer?: string;
  readonly audience?: string;
  /** Longest token lifetime accepted (GATEWAY_MAX_TOKEN_LIFETIME_SECONDS); default 12 h. */
  readonly maxTokenLifetimeSeconds?: number;
}

/** The actor every request runs as while GATEWAY_AUTH=off (development only). */
export const ANONYMOUS_ACTOR: Actor = Object.freeze({ sub: 'anonymous', roles: Object.freeze(['admin'] as Role[]) });

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Message shown to the caller per rejection reason: precise where it helps a client, vague otherwise. */
function messageFor(err: TokenError): string {
  switch (err.reason) {
    case 'expired':
      return 'the bearer token has expired';
    case 'not_yet_valid':
      return 'the bearer token is not valid yet';
    case 'too_long_lived':
      return 'the bearer token is valid for longer than this gateway accepts';
    case 'unsupported_algorithm':
      return 'the bearer token is signed with an algorithm this gateway does not accept';
    default:
      return 'the bearer token is invalid';
  }
}

/**
 * Verifies `Authorization: Bearer <jwt>` and returns the actor. Throws a GatewayError
 * (UNAUTHENTICATED, HTTP 401, `www-authenticate: Bearer`) when the header is missing, not a bearer
 * token, or the token does not verify.
 */
export function authenticate(
  authorization: string | undefined,
  settings: AuthSettings,
  now: number = Date.now(),
): Actor {
  if (!settings.authEnabled) return ANONYMOUS_ACTOR;
  if (settings.jwtSecret === undefined && settings.jwks === undefined)
    throw new Error('authentication is on but neither a JWT secret nor a JWKS is configured');
  if (authorization === undefined || authorization.trim() === '') {
    throw unauthenticated('a bearer token is required (Authorization: Bearer <token>)');
  }
  const match = BEARER.exec(authorization);
  if (match === null) throw unauthenticated('the authorization header must be "Bearer <token>"');
  try {
    const token = match[1] as string;
    // HS256 (shared secret, development) or RS256/ES256 (JWKS, production): each only when configured
    const hs256 = headerAlg(token) === 'HS256';
    const lifetime = settings.maxTokenLifetimeSeconds ? { maxLifetimeSeconds: settings.maxTokenLifetimeSeconds } : {};
    if (hs256 && settings.jwtSecret === undefined) throw new TokenError('unsupported_algorithm');
    if (!hs256 && settings.jwks === undefined) throw new TokenError('unsupported_algorithm');
    const claims = hs256
      ? verifyHs256Jwt(token, settings.jwtSecret as string, { now, ...lifetime })
      : verifyJwksJwt(token, settings.jwks?.() ?? [], {
          now,
          ...lifetime,
          ...(settings.issuer ? { issuer: settings.issuer } : {}),
          ...(settings.audience ? { audience: settings.audience } : {}),
        });
    const roles = [...new Set(claims.roles.filter(isRole))];
    return Object.freeze({ sub: claims.sub, roles: Object.freeze(roles) });
  } catch (err) {
    if (err instanceof TokenError) throw unauthenticated(messageFor(err));
    throw err;
  }
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
