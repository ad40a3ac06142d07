export { authenticate, bearerToken, requireRole } from './authenticate.ts';
export { type Identity, ROLES } from './identity.ts';
export {
  createTokenVerifier,
  type TokenVerifier,
  type TokenVerifierOptions,
} from './token-verifier.ts';
