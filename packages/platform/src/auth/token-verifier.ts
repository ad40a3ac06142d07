import { type JWTPayload, jwtVerify } from 'jose';
import { PlatformErrors } from '../errors.ts';
import type { Identity } from './identity.ts';
import {
  createJwksKeys,
  type JwksKeysOptions,
  KeySetUnavailable,
  keysUnavailable,
} from './jwks-keys.ts';

// Asymmetric only: `none` and HS256 (a shared secret, or an attacker's "secret" that is our
// public key) can never verify. jose checks this before it looks for a key.
const ALGORITHMS = ['EdDSA', 'ES256'];
const TOKEN_TYPE = 'at+jwt';
const CLOCK_TOLERANCE_SECONDS = 5;

export interface TokenVerifierOptions extends JwksKeysOptions {
  issuer: string;
  audience: string;
}

export interface TokenVerifier {
  /**
   * The caller's identity; a 401 AppError for any token we did not issue or that expired; a
   * 503 AppError when the keys cannot be fetched (our outage, not the caller's fault).
   */
  verify(token: string): Promise<Identity>;
}

// The detail stays vague on purpose (which check failed helps an attacker); the cause keeps
// jose's reason for whoever debugs.
const invalidToken = (detail: string, cause?: unknown) =>
  PlatformErrors.unauthorized(detail, {
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    cause,
  });

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** Verifies users' access tokens locally against the auth service's JWKS (see jwks-keys.ts). */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const keys = createJwksKeys(options);

  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          algorithms: ALGORITHMS,
          issuer: options.issuer,
          audience: options.audience,
          typ: TOKEN_TYPE,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        }));
      } catch (error) {
        if (error instanceof KeySetUnavailable) throw keysUnavailable(error);
        if ((error as { code?: string }).code === 'ERR_JWT_EXPIRED')
          throw invalidToken('The access token has expired', error);
        throw invalidToken('The access token is not valid', error);
      }
      const { sub, tid, roles, jti } = payload as JWTPayload & { tid?: unknown; roles?: unknown };
      if (
        typeof sub !== 'string' ||
        sub === '' ||
        typeof tid !== 'string' ||
        tid === '' ||
        !isStringArray(roles) ||
        typeof jti !== 'string'
      ) {
        throw invalidToken('The access token lacks the claims of a Lattice access token');
      }
      return { userId: sub, tenantId: tid, roles, tokenId: jti, token };
    },
  };
}
