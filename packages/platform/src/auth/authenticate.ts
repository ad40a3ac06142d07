import type { FastifyRequest } from 'fastify';
import { PlatformErrors } from '../errors.ts';
import type { Identity } from './identity.ts';
import type { TokenVerifier } from './token-verifier.ts';

// RFC 9110 §11.1: the scheme name is case-insensitive; the token is a compact JWS.
const BEARER = /^Bearer ([A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]+\.[A-Za-z0-9\-_=]*)$/i;

/** The bearer token of a request, or undefined when there is none. Malformed is a 401. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const match = BEARER.exec(header);
  if (!match) {
    throw PlatformErrors.unauthorized('The Authorization header must be "Bearer <access token>"', {
      headers: { 'www-authenticate': 'Bearer error="invalid_request"' },
    });
  }
  return match[1];
}

/** A pre-handler that requires a valid access token and sets `request.identity`. */
export function authenticate(verifier: TokenVerifier) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = bearerToken(request);
    if (!token) {
      throw PlatformErrors.unauthorized('An access token is required', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    }
    request.identity = await verifier.verify(token);
  };
}

/**
 * A pre-handler (after `authenticate`) that requires one of `roles`: RBAC is each service's
 * own decision on its own routes. No role implies another: a route that admits platform
 * admins says so.
 */
export function requireRole(...roles: string[]) {
  return async (request: FastifyRequest): Promise<void> => {
    const identity: Identity | undefined = request.identity;
    if (!identity)
      throw PlatformErrors.unauthorized('An access token is required', {
        headers: { 'www-authenticate': 'Bearer' },
      });
    if (!roles.some((role) => identity.roles.includes(role))) {
      throw PlatformErrors.forbidden(`This needs the role ${roles.join(' or ')}`);
    }
  };
}
