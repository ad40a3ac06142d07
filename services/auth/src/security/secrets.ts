import { createHash, randomBytes } from 'node:crypto';

/** An opaque bearer secret: 256 random bits, URL-safe. */
export function newOpaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Only this is stored. A plain SHA-256 suffices (no salt, no work factor): the input has 256
 * bits of entropy, so there is nothing to brute-force, and lookups stay one indexed equality.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
