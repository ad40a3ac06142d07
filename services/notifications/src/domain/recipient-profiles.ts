import {
  type Cache,
  createHttpClient,
  type Discovery,
  type ServiceTokens,
} from '@lattice/platform';
import type { FastifyBaseLogger } from 'fastify';
import type { Recipient } from '../data/notifications.ts';
import type { ProfileLookup, RecipientProfile } from './deps.ts';

export interface UsersLookupOptions {
  discovery: Discovery;
  serviceTokens: ServiceTokens;
  cache: Cache;
  ttlMs: number;
  timeoutMs: number;
  log: FastifyBaseLogger;
}

/**
 * Asks the users service (`GET /internal/users/:id`) through the kit's resilient client, and
 * caches the answer. Any failure (down, no instance, no service token, unknown user) answers
 * undefined: the caller falls back to defaults, and a notification never waits on users.
 */
export function usersProfileLookup(options: UsersLookupOptions): {
  lookup: ProfileLookup;
  close(): Promise<void>;
} {
  const pick = () => {
    const instances = options.discovery.instances('users');
    const url = instances[Math.floor(Math.random() * instances.length)];
    if (!url) throw new Error('no instance of the users service is known');
    return url;
  };
  const client = createHttpClient({
    name: 'users',
    baseUrl: pick,
    timeoutMs: options.timeoutMs,
    retries: 1,
    logger: options.log,
  });

  const fetchProfile = async (recipient: Recipient): Promise<RecipientProfile | undefined> => {
    const token = await options.serviceTokens.tokenFor('users');
    const response = await client.get<RecipientProfile>(
      `/internal/users/${encodeURIComponent(recipient.userId)}`,
      {
        query: { tenantId: recipient.tenantId },
        headers: { authorization: `Bearer ${token}` },
      },
    );
    if (response.status !== 200) return undefined;
    const { email, name, locale, timezone } = response.body;
    return { email, name, locale, timezone };
  };

  const lookup: ProfileLookup = async (recipient) => {
    const key = `profile:${encodeURIComponent(recipient.tenantId)}:${encodeURIComponent(recipient.userId)}`;
    try {
      return await options.cache.get(key, () => fetchProfile(recipient), { ttlMs: options.ttlMs });
    } catch (error) {
      // Debug only: an outage would log once per notification; the client logs the breaker.
      options.log.debug(
        { err: error, userId: recipient.userId },
        'recipient profile unavailable; the notification goes out with the default locale and time zone',
      );
      return undefined;
    }
  };
  return { lookup, close: () => client.close() };
}
