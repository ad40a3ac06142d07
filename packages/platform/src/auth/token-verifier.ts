import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { PlatformErrors } from '../errors.ts';
import type { Identity } from './identity.ts';

// Asymmetric only: `none` and HS256 (a shared secret, or an attacker's "secret" that is our
// public key) can never verify.
const ALGORITHMS = ['EdDSA', 'ES256'];
const TOKEN_TYPE = 'at+jwt';
const CLOCK_TOLERANCE_SECONDS = 5;

export interface TokenVerifierOptions {
  /** Where the auth service publishes its keys; read on first use (discovery may change it). */
  jwksUrl: () => string;
  issuer: string;
  audience: string;
}

export interface TokenVerifier {
  /** The caller's identity, or a 401 AppError for any token we did not issue or that expired. */
  verify(token: string): Promise<Identity>;
}

const invalidToken = (detail: string) =>
  PlatformErrors.unauthorized(detail, {
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/**
 * Verifies access tokens locally against the auth service's JWKS. jose caches the key set and
 * fetches it again when a token names an unknown `kid` (key rotation), at most every 30 s, so a
 * forged `kid` cannot make us hammer the auth service.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  let keySet: ReturnType<typeof createRemoteJWKSet> | undefined;
  let keySetUrl = '';
  const keys = () => {
    const url = options.jwksUrl();
    if (!keySet || url !== keySetUrl) {
      keySet = createRemoteJWKSet(new URL(url), {
        timeoutDuration: 2_000,
        cooldownDuration: 30_000,
      });
      keySetUrl = url;
    }
    return keySet;
  };

  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys(), {
          algorithms: ALGORITHMS,
          issuer: options.issuer,
          audience: options.audience,
          typ: TOKEN_TYPE,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['sub', 'exp', 'iat', 'jti'],
        }));
      } catch (error) {
        const code = (error as { code?: string }).code ?? '';
        if (code === 'ERR_JWT_EXPIRED') throw invalidToken('The access token has expired');
        if (
          code === 'ERR_JWKS_TIMEOUT' ||
          code === 'ERR_JOSE_GENERIC' ||
          (error as Error).name === 'TypeError'
        ) {
          // The key set could not be fetched: our outage, not the caller's fault.
          throw PlatformErrors.unavailable(
            'The keys that verify access tokens cannot be fetched right now',
            {
              headers: { 'retry-after': '1' },
            },
          );
        }
        throw invalidToken('The access token is not valid');
      }
      const { sub, tid, roles, jti } = payload as JWTPayload & { tid?: unknown; roles?: unknown };
      if (
        typeof sub !== 'string' ||
        typeof tid !== 'string' ||
        !isStringArray(roles) ||
        typeof jti !== 'string'
      ) {
        throw invalidToken('The access token lacks the claims of a Lattice access token');
      }
      return { userId: sub, tenantId: tid, roles, tokenId: jti, token };
    },
  };
}
