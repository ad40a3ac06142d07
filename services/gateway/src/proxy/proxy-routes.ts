import type { IncomingMessage } from 'node:http';
import {
  isAppError,
  PlatformErrors,
  type ServiceApp,
  type ServiceContext,
  traceIdOf,
} from '@lattice/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { gatewayConfig } from '../config.ts';
import { GatewayErrors } from '../errors.ts';
import type { PublicRoutes } from '../security/public-routes.ts';
import { limitBody } from './body-limit.ts';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './headers.ts';
import type { UpstreamPools } from './upstream-pools.ts';

type GatewayContext = ServiceContext<(typeof gatewayConfig)['properties']>;

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const DOWN_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

function upstreamError(service: string, error: unknown, timeoutMs: number) {
  if (isAppError(error)) return error;
  const code =
    (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code ?? '';
  if (TIMEOUT_CODES.has(code))
    return GatewayErrors.upstreamTimeout(`${service} did not answer within ${timeoutMs} ms`);
  if (DOWN_CODES.has(code)) {
    return GatewayErrors.upstreamDown(`${service} is not accepting connections`, {
      headers: { 'retry-after': '1' },
    });
  }
  return GatewayErrors.upstreamFailed(
    `${service} failed to answer (${code || 'connection error'})`,
  );
}

const params = Type.Object({ service: Type.String({ pattern: '^[a-z][a-z0-9-]*$' }) });

/**
 * `/api/v1/<service>/...` is forwarded unchanged to an instance of <service>: a service's
 * routes are its public routes, so calling it directly or through the gateway is the same.
 * Bodies stream both ways; the gateway never buffers a whole request or response.
 * Every route but the public ones needs a valid access token, checked before any upstream is
 * contacted; the service verifies the same token again (it trusts no one's word for it).
 */
export function registerProxyRoutes(
  app: ServiceApp,
  context: GatewayContext,
  pools: UpstreamPools,
  publicRoutes: PublicRoutes,
): void {
  const timeoutMs = context.config.GATEWAY_UPSTREAM_TIMEOUT_MS;
  const bodyLimit = context.config.BODY_LIMIT_BYTES;

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    const forward = async (request: FastifyRequest, reply: FastifyReply) => {
      const { service } = request.params as { service: string };
      if (!context.discovery.services().includes(service)) {
        throw GatewayErrors.unknownService(`No service named ${service} is known to the gateway`);
      }
      if (!publicRoutes.has(request.method, request.url)) await context.auth.authenticate(request);
      const origin = pools.pick(service, context.discovery.instances(service));
      if (!origin)
        throw GatewayErrors.upstreamDown(`${service} has no instance`, {
          headers: { 'retry-after': '1' },
        });

      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > bodyLimit)
        throw PlatformErrors.payloadTooLarge(`Request body exceeds ${bodyLimit} bytes`);
      const incoming = request.body as IncomingMessage | undefined;
      const body = incoming ? limitBody(incoming, bodyLimit) : undefined;

      const abort = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) abort.abort();
      });
      let bodyError: unknown;
      body?.once('error', (error) => {
        bodyError = error;
      });
      try {
        const upstream = await pools.pool(origin).request({
          method: request.method as 'GET',
          path: request.url,
          headers: upstreamRequestHeaders(request.headers, {
            requestId: request.id,
            traceId: traceIdOf(request.raw),
            clientIp: request.ip,
            protocol: request.protocol,
            host: request.headers.host,
          }),
          body,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          signal: abort.signal,
        });
        reply.code(upstream.statusCode).headers(downstreamResponseHeaders(upstream.headers));
        return reply.send(upstream.body);
      } catch (error) {
        throw upstreamError(service, bodyError ?? error, timeoutMs);
      }
    };

    scope.route({
      method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: '/api/v1/:service',
      schema: { params, hide: true },
      handler: forward,
    });
    scope.route({
      method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: '/api/v1/:service/*',
      schema: { params, hide: true },
      handler: forward,
    });
  });
}
