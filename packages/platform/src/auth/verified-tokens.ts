import { Lru } from '../lru.ts';
import type { Identity } from './identity.ts';
import type { TokenVerifier } from './token-verifier.ts';

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
 * `verifier`, remembering each verified token until it expires: a client sends the same access
 * token for its whole lifetime, and a signature check per request (a thread-pool job costing
 * more than the rest of a cached read) would be a service's largest cost. Keyed by the whole
 * token, signature included, so only the exact token that verified is ever accepted from
 * memory; failures are never remembered. `size` 0 verifies every request.
 */
export function rememberVerifiedTokens(verifier: TokenVerifier, size: number): TokenVerifier {
  if (size <= 0) return verifier;
  const verified = new Lru<string, Verified>(size);
  return {
    async verify(token) {
      const hit = verified.get(token);
      if (hit !== undefined) {
        if (hit.expiresAt > Date.now()) return hit.identity;
        verified.delete(token);
      }
      const identity = await verifier.verify(token);
      verified.set(token, { identity, expiresAt: expiryOf(token) });
      return identity;
    },
  };
}
