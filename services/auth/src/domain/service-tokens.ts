import { createHash, timingSafeEqual } from 'node:crypto';
import { AuthErrors } from '../errors.ts';
import type { AccessTokens } from '../security/access-tokens.ts';

const MIN_SECRET_LENGTH = 32;
const NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** `notifications=s3cr3t...,worker=...` → name → SHA-256 of the secret. */
export function parseServiceCredentials(text: string): Map<string, Buffer> {
  const credentials = new Map<string, Buffer>();
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, at);
    const secret = pair.slice(at + 1);
    if (at <= 0 || !NAME.test(name))
      throw new Error(
        `AUTH_SERVICE_CREDENTIALS: "${name || pair.slice(0, 20)}" is not a service name`,
      );
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new Error(
        `AUTH_SERVICE_CREDENTIALS: the secret of ${name} is shorter than ${MIN_SECRET_LENGTH} characters`,
      );
    }
    credentials.set(name, digest(secret));
  }
  return credentials;
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export interface ServiceTokenRequest {
  clientId: string;
  clientSecret: string;
  /** The service to be called. */
  audience: string;
}

/**
 * OAuth-style client credentials for services: a service proves who it is with its secret and
 * gets a short-lived token for one callee. Calls between services are then authenticated by
 * what the caller holds, never by where it sits on the network.
 */
export async function issueServiceToken(
  credentials: Map<string, Buffer>,
  tokens: AccessTokens,
  ttlSeconds: number,
  request: ServiceTokenRequest,
): Promise<{ accessToken: string; tokenType: 'Bearer'; expiresIn: number }> {
  const expected = credentials.get(request.clientId);
  // Compared as fixed-length digests, in constant time, also when the client is unknown.
  const presented = digest(request.clientSecret);
  const matches = timingSafeEqual(presented, expected ?? digest(`unknown:${request.clientSecret}`));
  if (!expected || !matches)
    throw AuthErrors.invalidClient('The service credentials are not valid');
  const accessToken = await tokens.signForService(request.clientId, request.audience, ttlSeconds);
  return { accessToken, tokenType: 'Bearer', expiresIn: ttlSeconds };
}
