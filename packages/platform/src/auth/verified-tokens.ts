import { Lru } from '../lru.ts';
import type { Identity } from './identity.ts';
import type { TokenVerifier } from './token-verifier.ts';

interface Verified {
  identity: Identity;
  /** `exp` in epoch milliseconds. */
  expiresAt: number;
}

/** `exp` of a token that has just verified, in epoch ms; undefined when it has none usable. */
function expiryOf(token: string): number | undefined {
  try {
    const payload = token.slice(token.indexOf('.') + 1, token.lastIndexOf('.'));
    const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { exp?: unknown };
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
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
      const expiresAt = expiryOf(token);
      // Shared by every request that shows this token: frozen, so none can change it for the next.
      Object.freeze(identity.roles);
      Object.freeze(identity);
      // A token without a usable exp is never remembered (each use is verified).
      if (expiresAt !== undefined) verified.set(token, { identity, expiresAt });
      return identity;
    },
  };
}
