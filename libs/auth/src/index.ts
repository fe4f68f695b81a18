// Public API of @strongroom/auth: bearer tokens — HS256 development tokens and RS256/ES256 against the
// identity provider's JWKS, verified with jose —, the role names, the one role matrix, and denial counts.
export { signDevToken, TokenError, type TokenRejection, DEFAULT_MAX_TOKEN_LIFETIME_SECONDS } from './hs256-jwt';
export { PERSON_ROLES, ROLES, SERVICE_ROLES, type Role } from './roles';
export { bearerToken, loadJwks, verifyBearer, type BearerSettings, type Principal } from './bearer';
export { openJwksSource, type JwksSource } from './jwks-source';
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
export { TokenBuckets } from './token-buckets';
export { DenialCounter, type CountedDenial, type Denial, type DenialBatch } from './denials';
