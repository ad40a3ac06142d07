import type { FastifyRequest } from 'fastify';
import { jwtVerify } from 'jose';
import { PlatformErrors } from '../errors.ts';
import { createHttpClient } from '../http/resilient-client.ts';
import { bearerToken } from './authenticate.ts';
import { createJwksKeys, KeySetUnavailable, keysUnavailable } from './jwks-keys.ts';

/** The calling service, as proven by a verified service token. */
export interface ServiceCaller {
  service: string;
  tokenId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `authenticateService` on routes other services call. */
    caller?: ServiceCaller;
  }
}

export function serviceAudience(service: string): string {
  return `urn:lattice:service:${service}`;
}

const invalid = (detail: string) =>
  PlatformErrors.unauthorized(detail, {
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
  });

/**
 * A pre-handler for routes meant for other services: it accepts only a service token whose
 * audience is this service. A user's access token (audience: the public API) is refused, and so
 * is a service token minted for another callee.
 */
export function authenticateService(options: {
  jwksUrl: () => string;
  issuer: string;
  service: string;
}) {
  const keys = createJwksKeys({ jwksUrl: options.jwksUrl });
  return async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request);
    if (!token)
      throw PlatformErrors.unauthorized('A service token is required', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    try {
      const { payload } = await jwtVerify(token, keys, {
        algorithms: ['EdDSA', 'ES256'],
        issuer: options.issuer,
        audience: serviceAudience(options.service),
        typ: 'at+jwt',
        requiredClaims: ['sub', 'exp', 'jti'],
      });
      const sub = String(payload.sub);
      if (!sub.startsWith('service:')) throw new Error('not a service');
      request.caller = { service: sub.slice('service:'.length), tokenId: String(payload.jti) };
    } catch (error) {
      // The keys being out of reach is our outage: the caller may retry, its token is fine.
      if (error instanceof KeySetUnavailable) throw keysUnavailable(error);
      throw invalid('The service token is not valid for this service');
    }
  };
}

export interface ServiceTokens {
  /** A current token for calling `callee`, fetched from the auth service and cached. */
  tokenFor(callee: string): Promise<string>;
  close(): Promise<void>;
}

// Renewed this long before expiry, so a token never expires on its way to the callee.
const RENEW_EARLY_MS = 60_000;

export function createServiceTokens(options: {
  service: string;
  secret: string;
  authUrl: () => string;
}): ServiceTokens {
  const cache = new Map<string, { token: string; expiresAt: number }>();
  const inFlight = new Map<string, Promise<string>>();
  const client = createHttpClient({ name: 'auth', baseUrl: options.authUrl, timeoutMs: 3_000 });

  const fetchToken = async (callee: string): Promise<string> => {
    if (!options.secret) {
      throw PlatformErrors.internal(
        `${options.service} has no SERVICE_CLIENT_SECRET, so it cannot call ${callee}`,
      );
    }
    const response = await client.post<{ accessToken: string; expiresIn: number }>(
      '/api/v1/auth/service-tokens',
      {
        clientId: options.service,
        clientSecret: options.secret,
        audience: callee,
      },
    );
    if (response.status !== 200) {
      throw PlatformErrors.badGateway(
        `the auth service refused a service token to ${callee} (${response.status})`,
      );
    }
    cache.set(callee, {
      token: response.body.accessToken,
      expiresAt: Date.now() + response.body.expiresIn * 1000,
    });
    return response.body.accessToken;
  };

  return {
    async tokenFor(callee) {
      const cached = cache.get(callee);
      if (cached && cached.expiresAt - RENEW_EARLY_MS > Date.now()) return cached.token;
      // Concurrent callers share one fetch instead of stampeding the auth service.
      let pending = inFlight.get(callee);
      if (!pending) {
        pending = fetchToken(callee).finally(() => inFlight.delete(callee));
        inFlight.set(callee, pending);
      }
      return pending;
    },
    close: () => client.close(),
  };
}
