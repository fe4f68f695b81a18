// Authentication: turns the `authorization` header into an Actor, or refuses the request with
// UNAUTHENTICATED (HTTP 401). Roles are decided here; which role may do what is authorization.ts.
import { unauthenticated } from '../errors/gateway-error';
import { bearerToken, ROLES, TokenError, verifyBearer, type BearerSettings, type Role } from '@strongroom/auth';

export { ROLES, type Role };

export interface Actor {
  /** Token subject; the engine, which verifies the same token, records it as `user:<sub>`. */
  readonly sub: string;
  /** Known roles of the token (unknown role names are dropped, not rejected). */
  readonly roles: readonly Role[];
}

export interface AuthSettings {
  readonly authEnabled: boolean;
  /** HS256 secret (development tokens); refused in production. */
  readonly jwtSecret: string | undefined;
  /** The identity provider's RS256/ES256 keys (GATEWAY_JWKS_FILE or GATEWAY_JWKS_URL), when configured. */
  readonly jwks?: BearerSettings['jwks'];
  /** Required `iss` / `aud` of JWKS tokens, when configured. */
  readonly issuer?: string;
  readonly audience?: string;
  /** Longest token lifetime accepted (GATEWAY_MAX_TOKEN_LIFETIME_SECONDS); default 12 h. */
  readonly maxTokenLifetimeSeconds?: number;
}

/** The actor every request runs as while GATEWAY_AUTH=off (development only). */
export const ANONYMOUS_ACTOR: Actor = Object.freeze({ sub: 'anonymous', roles: Object.freeze(['admin'] as Role[]) });

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
export async function authenticate(
  authorization: string | undefined,
  settings: AuthSettings,
  now: number = Date.now(),
): Promise<Actor> {
  if (!settings.authEnabled) return ANONYMOUS_ACTOR;
  if (settings.jwtSecret === undefined && settings.jwks === undefined)
    throw new Error('authentication is on but neither a JWT secret nor a JWKS is configured');
  if (authorization === undefined || authorization.trim() === '') {
    throw unauthenticated('a bearer token is required (Authorization: Bearer <token>)');
  }
  const token = bearerToken(authorization);
  if (token === undefined) throw unauthenticated('the authorization header must be "Bearer <token>"');
  try {
    return await verifyBearer(
      token,
      {
        hs256Secret: settings.jwtSecret,
        ...(settings.jwks ? { jwks: settings.jwks } : {}),
        ...(settings.issuer ? { issuer: settings.issuer } : {}),
        ...(settings.audience ? { audience: settings.audience } : {}),
        ...(settings.maxTokenLifetimeSeconds ? { maxLifetimeSeconds: settings.maxTokenLifetimeSeconds } : {}),
      },
      now,
    );
  } catch (err) {
    if (err instanceof TokenError) throw unauthenticated(messageFor(err));
    throw err;
  }
}
