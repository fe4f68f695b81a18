// Public API of @strongroom/auth: JSON Web Tokens — HS256 (development tokens) and RS256/ES256 against
// a JWKS (production) — and the role names.
export {
  signDevToken,
  verifyHs256Jwt,
  TokenError,
  type TokenClaims,
  type TokenRejection,
  type VerifyOptions,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
} from './hs256-jwt';
export { PERSON_ROLES, ROLES, SERVICE_ROLES, type Role } from './roles';
export { loadJwks, verifyJwksJwt, type JsonWebKeySet } from './jwks-jwt';
export { bearerToken, verifyBearer, type BearerSettings, type Principal } from './bearer';
export { devSecretFile, readDevSecret, readOrCreateDevSecret } from './dev-secret';
export {
  ANY_ROLE,
  OPERATORS,
  AUDITORS,
  STAFF,
  ADMINS,
  GATEWAY_SERVICE,
  RPC_ROLES,
  ACTION_ROLES,
  type Action,
  mayCall,
  mayDo,
  describeRoles,
} from './role-matrix';
export { DenialCounter, type CountedDenial, type Denial, type DenialBatch } from './denials';
