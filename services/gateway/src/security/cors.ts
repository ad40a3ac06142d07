import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayErrors } from '../errors.ts';
import { appendVary } from './vary.ts';

const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE';
const ALLOW_HEADERS =
  'authorization, content-type, idempotency-key, if-match, x-request-id, last-event-id';
// What a browser script may read from an answer besides the CORS-safelisted headers.
const EXPOSE_HEADERS = 'etag, location, retry-after, www-authenticate, x-request-id';

export interface CorsPolicy {
  /** Exact origins (scheme://host[:port]) allowed to call with credentials. */
  origins: ReadonlySet<string>;
  maxAgeSeconds: number;
}

/** `GATEWAY_CORS_ORIGINS`, each origin normalised the way a browser serialises it. */
export function parseOrigins(list: string): Set<string> {
  const origins = new Set<string>();
  for (const entry of list.split(',')) {
    const trimmed = entry.trim();
    if (!trimmed) continue;
    if (!URL.canParse(trimmed))
      throw new Error(`GATEWAY_CORS_ORIGINS: ${trimmed} is not an origin`);
    origins.add(new URL(trimmed).origin);
  }
  return origins;
}

function isPreflight(request: FastifyRequest): boolean {
  return (
    request.method === 'OPTIONS' &&
    typeof request.headers.origin === 'string' &&
    request.headers['access-control-request-method'] !== undefined
  );
}

function allowedOrigin(request: FastifyRequest, policy: CorsPolicy): string | undefined {
  const origin = request.headers.origin;
  return typeof origin === 'string' && policy.origins.has(origin) ? origin : undefined;
}

/**
 * onRequest: the gateway answers every preflight itself, before authentication (a browser
 * never sends credentials on one) and without bothering an upstream.
 */
export function corsPreflight(policy: CorsPolicy) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!isPreflight(request)) return;
    if (!allowedOrigin(request, policy)) {
      throw GatewayErrors.corsOriginDenied(
        `Origin ${String(request.headers.origin)} may not call this API from a browser`,
      );
    }
    return reply.code(204).send();
  };
}

/**
 * Part of onSend: CORS headers for an allowed origin, on every answer including errors. The
 * gateway owns the policy: access-control headers an upstream sets are dropped as its answer
 * is copied (see proxy/headers.ts), so no service can open the API wider than the allow-list.
 * Credentials are allowed, so the origin is always echoed exactly, never `*`.
 */
export function corsHeaders(policy: CorsPolicy) {
  return (request: FastifyRequest, reply: FastifyReply): void => {
    if (policy.origins.size === 0) return;
    appendVary(reply, 'origin');
    const origin = allowedOrigin(request, policy);
    if (!origin) return;
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-credentials', 'true');
    if (isPreflight(request) && reply.statusCode === 204) {
      reply.header('access-control-allow-methods', ALLOW_METHODS);
      reply.header('access-control-allow-headers', ALLOW_HEADERS);
      reply.header('access-control-max-age', String(policy.maxAgeSeconds));
    } else {
      reply.header('access-control-expose-headers', EXPOSE_HEADERS);
    }
  };
}
