export { authenticate, bearerToken, requireRole } from './authenticate.ts';
export { type Identity, ROLES } from './identity.ts';
export type { JwksKeysOptions } from './jwks-keys.ts';
export {
  authenticateService,
  createServiceTokens,
  type ServiceCaller,
  type ServiceTokens,
  serviceAudience,
} from './service-tokens.ts';
export {
  createTokenVerifier,
  type TokenVerifier,
  type TokenVerifierOptions,
} from './token-verifier.ts';
export { rememberVerifiedTokens } from './verified-tokens.ts';
