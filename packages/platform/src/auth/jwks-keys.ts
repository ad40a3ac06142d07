import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
} from 'jose';
import { PlatformErrors } from '../errors.ts';

// The token's fault, not the key set's: no key of ours has its kid (or alg).
const KEY_MISMATCH = new Set([
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_NOT_SUPPORTED',
]);

export interface JwksKeysOptions {
  /** Where the auth service publishes its keys; read on every use (discovery may change it). */
  jwksUrl: () => string;
  /** Longest wait for the key set. Default 2000. */
  timeoutMs?: number;
  /**
   * After a fetch, how long an unknown `kid` does not trigger another. Default 5000: long
   * enough that forged kids cost the auth service at most one fetch per 5 s per process,
   * short enough that a freshly rotated key is accepted almost at once.
   */
  cooldownMs?: number;
  /** How long a fetched key set is used before it is fetched again. Default 10 min. */
  cacheMaxAgeMs?: number;
}

/** Thrown by the key resolver when the keys cannot be had: told apart from a bad token. */
export class KeySetUnavailable extends Error {}

/** The 503 for a KeySetUnavailable: our outage, not the caller's fault. */
export function keysUnavailable(error: KeySetUnavailable) {
  return PlatformErrors.unavailable(
    'The keys that verify access tokens cannot be fetched right now',
    { headers: { 'retry-after': '1' }, cause: error.cause },
  );
}

function codeOf(error: unknown): string {
  return (error as { code?: string } | undefined)?.code ?? '';
}

/**
 * A key resolver for jose's `jwtVerify` over the auth service's JWKS. jose caches the key set
 * and fetches it again when a token names an unknown `kid` (key rotation), at most once per
 * cooldown. When the auth service is down, the last key set fetched keeps verifying tokens it
 * knows: a short auth outage must not log every caller out of every service.
 */
export function createJwksKeys(options: JwksKeysOptions) {
  const cooldownMs = options.cooldownMs ?? 5_000;
  let remote: ReturnType<typeof createRemoteJWKSet> | undefined;
  let remoteUrl = '';
  const remoteKeys = () => {
    const url = options.jwksUrl();
    if (!remote || url !== remoteUrl) {
      remote = createRemoteJWKSet(new URL(url), {
        timeoutDuration: options.timeoutMs ?? 2_000,
        cooldownDuration: cooldownMs,
        cacheMaxAge: options.cacheMaxAgeMs ?? 600_000,
      });
      remoteUrl = url;
    }
    return remote;
  };

  // After a failed fetch the last key set fetched is used alone for a cooldown, so an auth
  // service that times out does not add its timeout to every request.
  let fallback: ReturnType<typeof createLocalJWKSet> | undefined;
  let failedAt = Number.NEGATIVE_INFINITY;
  const fromFallback = async (
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
    cause: unknown,
  ) => {
    if (fallback) {
      try {
        return await fallback(header, token);
      } catch {
        // A kid the old keys lack may be a new key we cannot fetch yet: still our outage.
      }
    }
    throw new KeySetUnavailable('access-token keys cannot be fetched', { cause });
  };

  return async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
    // The auth service always names its key; a token without a kid is not one of ours.
    if (typeof header.kid !== 'string' || header.kid === '') throw new Error('no kid');
    if (fallback && Date.now() - failedAt < cooldownMs)
      return fromFallback(header, token, undefined);
    let keys: ReturnType<typeof createRemoteJWKSet> | undefined;
    try {
      keys = remoteKeys();
      return await keys(header, token);
    } catch (error) {
      if (KEY_MISMATCH.has(codeOf(error))) throw error;
      // Refused, timed out, non-200, malformed set or bad URL: fall back on the keys we had.
      failedAt = Date.now();
      const known = keys?.jwks();
      if (known) fallback = createLocalJWKSet(known);
      return fromFallback(header, token, error);
    }
  };
}
