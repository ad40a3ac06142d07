import { bearerToken, type Identity, PlatformErrors, type TokenVerifier } from '@lattice/platform';
import type { FastifyRequest } from 'fastify';
import { Lru } from '../util/lru.ts';

interface Verified {
  identity: Identity;
  /** `exp` in epoch milliseconds. */
  expiresAt: number;
}

/** `exp` of a token that has just verified, so its payload is known to be JSON with a number exp. */
function expiryOf(token: string): number {
  const payload = token.slice(token.indexOf('.') + 1, token.lastIndexOf('.'));
  const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { exp: number };
  return exp * 1000;
}

/**
 * The kit's `authenticate`, remembering each verified token until it expires: a client sends
 * the same access token for its whole lifetime, and a signature check per request would be the
 * gateway's largest cost. Keyed by the whole token, signature included, so only the exact
 * token that verified is ever accepted from memory; failures are never remembered.
 */
export function cachedAuthenticate(verifier: TokenVerifier, size: number) {
  const verified = new Lru<string, Verified>(size);
  return async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request);
    if (!token) {
      throw PlatformErrors.unauthorized('An access token is required', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    const hit = verified.get(token);
    if (hit !== undefined) {
      if (hit.expiresAt > Date.now()) {
        request.identity = hit.identity;
        return;
      }
      verified.delete(token);
    }
    const identity = await verifier.verify(token);
    verified.set(token, { identity, expiresAt: expiryOf(token) });
    request.identity = identity;
  };
}
