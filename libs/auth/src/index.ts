// Public API of @strongroom/auth: HS256 JSON Web Tokens (signing dev tokens, verifying in the gateway)
// and the role names. RS256/ES256 with JWKS come with the gateway issue.
export { signDevToken, verifyHs256Jwt, TokenError, type TokenClaims, type TokenRejection, type VerifyOptions } from './hs256-jwt';
export { ROLES, type Role } from './roles';
