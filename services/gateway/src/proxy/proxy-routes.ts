import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { PlatformErrors, type ServiceApp, type ServiceContext, traceIdOf } from '@lattice/platform';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { gatewayConfig } from '../config.ts';
import { GatewayErrors } from '../errors.ts';
import type { GatewayMetrics } from '../gateway-metrics.ts';
import type { RateLimiter } from '../rate-limit/rate-limiter.ts';
import type { PublicRoutes } from '../security/public-routes.ts';
import { isUnreachable, upstreamError } from '../upstream/failures.ts';
import type { HashKey, RoutePolicies, RoutePolicy } from '../upstream/route-policies.ts';
import type { ServiceUpstream } from '../upstream/service-upstream.ts';
import type { UpstreamInstance } from '../upstream/upstream-instance.ts';
import type { Upstreams } from '../upstream/upstreams.ts';
import { hash32 } from '../util/hash.ts';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './headers.ts';
import { RequestBody } from './request-body.ts';
import type { RouteAliases } from './route-aliases.ts';

type GatewayContext = ServiceContext<(typeof gatewayConfig)['properties']>;

/** Answers up to this size, with a declared length, are read whole and written at once. */
const WHOLE_ANSWER_BYTES = 64 * 1024;

/** A declared Content-Length within WHOLE_ANSWER_BYTES (and not 0: nothing to gain there). */
function smallAnswer(length: string | string[] | undefined): boolean {
  if (typeof length !== 'string') return false;
  const bytes = Number(length);
  return bytes > 0 && bytes <= WHOLE_ANSWER_BYTES;
}

// RFC 9110 §9.2.2: repeating these has the effect of sending them once.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export interface ProxyDeps {
  context: GatewayContext;
  upstreams: Upstreams;
  policies: RoutePolicies;
  aliases: RouteAliases;
  publicRoutes: PublicRoutes;
  authenticate(request: FastifyRequest): Promise<void>;
  rateLimiter: RateLimiter | undefined;
  metrics: GatewayMetrics;
  /** Event streams being relayed now, ended when the gateway shuts down. */
  streams: Set<{ end(): void }>;
}

/** A client asking for server-sent events: `Accept: text/event-stream`. */
function wantsEventStream(accept: string | undefined): boolean {
  return accept?.includes('text/event-stream') === true;
}

function affinityKey(request: FastifyRequest, key: HashKey): string {
  switch (key.kind) {
    case 'tenant':
      return request.identity?.tenantId ?? request.ip;
    case 'user':
      return request.identity?.userId ?? request.ip;
    case 'ip':
      return request.ip;
    default: {
      const value = request.headers[key.name];
      return typeof value === 'string' ? value : request.ip;
    }
  }
}

/**
 * What happens to one request once it may go upstream: pick an instance, send, and on a
 * connection error, timeout, 502 or 503 try another instance if the request may be repeated
 * (idempotent method, body not sent yet, attempts and the retry budget left). The bulkhead
 * slot and the instance's in-flight count are held until the answer has reached the client.
 */
class Exchange {
  readonly #deps: ProxyDeps;
  readonly #request: FastifyRequest;
  readonly #reply: FastifyReply;
  readonly #upstream: ServiceUpstream;
  readonly #policy: RoutePolicy;
  readonly #stream: boolean;
  readonly #abort = new AbortController();
  #current: UpstreamInstance | undefined;
  #closed = false;

  constructor(
    deps: ProxyDeps,
    request: FastifyRequest,
    reply: FastifyReply,
    upstream: ServiceUpstream,
    policy: RoutePolicy,
    stream: boolean,
  ) {
    this.#deps = deps;
    this.#request = request;
    this.#reply = reply;
    this.#upstream = upstream;
    this.#policy = policy;
    this.#stream = stream;
    upstream.inFlight++;
    if (stream) deps.streams.add(this);
    reply.raw.once('close', () => this.#onClose());
  }

  /** Ends a relayed stream from the gateway's side (shutdown): the client reconnects elsewhere. */
  end(): void {
    this.#abort.abort();
  }

  #onClose(): void {
    this.#closed = true;
    if (this.#stream) this.#deps.streams.delete(this);
    if (!this.#reply.raw.writableFinished) this.#abort.abort();
    this.#release();
    this.#upstream.inFlight--;
  }

  #release(): void {
    const current = this.#current;
    if (current === undefined) return;
    this.#current = undefined;
    current.end();
    // An answer the client did not wait for says nothing about the instance; it must not
    // keep a half-open circuit waiting for a probe result forever.
    current.abandoned();
  }

  #mayRetry(attempt: number, body: RequestBody | undefined): boolean {
    return (
      attempt < this.#policy.retries &&
      IDEMPOTENT.has(this.#request.method) &&
      (body === undefined || !body.started) &&
      !this.#closed
    );
  }

  /** Another instance for the next attempt, within the retry budget; undefined: give up. */
  #retryOn(tried: UpstreamInstance[], hash: number): UpstreamInstance | undefined {
    const upstream = this.#upstream;
    const next = upstream.pick(this.#policy.balancer, hash, tried);
    if (next === undefined) return undefined;
    if (!upstream.budget.tryRetry()) {
      this.#deps.metrics.retries.inc({ upstream: upstream.name, outcome: 'budget_exhausted' });
      return undefined;
    }
    this.#deps.metrics.retries.inc({ upstream: upstream.name, outcome: 'attempted' });
    return next;
  }

  async run(body: RequestBody | undefined): Promise<FastifyReply> {
    const request = this.#request;
    const reply = this.#reply;
    const upstream = this.#upstream;
    const policy = this.#policy;
    const { metrics } = this.#deps;
    const hash =
      policy.balancer === 'consistent-hash' ? hash32(affinityKey(request, policy.hashKey)) : 0;
    upstream.budget.request();
    let instance = upstream.pick(policy.balancer, hash, undefined);
    if (instance === undefined) {
      throw GatewayErrors.upstreamDown(
        upstream.instances.length === 0
          ? `${upstream.name} has no instance`
          : `${upstream.name} has no instance able to take requests now`,
        { headers: { 'retry-after': '1' } },
      );
    }
    const headers = upstreamRequestHeaders(request.headers, {
      requestId: request.id,
      traceId: traceIdOf(request.raw),
      clientIp: request.ip,
      protocol: request.protocol,
      host: request.headers.host,
    });
    // An event stream is quiet between events for longer than any answer may take to start:
    // once it has started only the stream idle timeout applies (undici's bodyTimeout is the
    // longest gap between chunks), and it gets a connection of its own.
    const stream = this.#stream;
    const bodyTimeout = stream
      ? this.#deps.context.config.GATEWAY_STREAM_IDLE_TIMEOUT_MS
      : policy.timeoutMs;
    // Only where no retry follows (POST, PATCH): whether an attempt sent a whole body cannot be
    // told afterwards, while a stream read nothing until connected.
    const whole = IDEMPOTENT.has(request.method)
      ? undefined
      : body?.takeIfArrived(Number(request.headers['content-length'] ?? 0));
    let tried: UpstreamInstance[] | undefined;
    for (let attempt = 0; ; attempt++) {
      instance.begin();
      this.#current = instance;
      const started = performance.now();
      let failure: unknown;
      let response: Awaited<ReturnType<UpstreamInstance['pool']['request']>> | undefined;
      try {
        response = await (stream ? instance.streamPool() : instance.pool).request({
          method: request.method as 'GET',
          path: request.url,
          headers,
          // undici sends any async iterable (its types list only streams): an iterable that
          // is read only once connected is what makes a body safe to retry.
          body: (whole ?? body?.source()) as unknown as Readable | undefined,
          headersTimeout: policy.timeoutMs,
          bodyTimeout,
          signal: this.#abort.signal,
        });
      } catch (error) {
        failure = error;
      }
      const now = performance.now();
      if (response !== undefined) {
        const status = response.statusCode;
        metrics.observeUpstream(upstream.name, status, (now - started) / 1000);
        if (status >= 500) instance.failed(false, now);
        else instance.succeeded();
        if ((status === 502 || status === 503) && this.#mayRetry(attempt, body)) {
          tried ??= [];
          tried.push(instance);
          const next = this.#retryOn(tried, hash);
          if (next !== undefined) {
            this.#release();
            await response.body.dump().catch(() => {});
            instance = next;
            await this.#backoff(attempt);
            if (this.#closed) throw GatewayErrors.upstreamFailed('The client went away');
            continue;
          }
        }
        reply.code(status).headers(downstreamResponseHeaders(response.headers));
        // Proxies in front of the gateway (nginx) must not hold events back either.
        if (stream) reply.header('x-accel-buffering', 'no');
        else if (request.method !== 'HEAD' && smallAnswer(response.headers['content-length'])) {
          // Nearly every API answer: a few hundred bytes, usually in the same packet as the
          // head. Read whole and written with it in one write, it skips the stream plumbing
          // (pipe, end-of-stream listeners, a write per chunk) that costs more than the bytes;
          // the length bound keeps memory per request small. Large and unsized answers stream.
          let whole: Buffer;
          try {
            whole = Buffer.from(await response.body.arrayBuffer());
          } catch (error) {
            throw upstreamError(upstream.name, error, policy.timeoutMs);
          }
          return reply.send(whole);
        }
        return reply.send(response.body);
      }

      metrics.observeUpstream(upstream.name, 0, (now - started) / 1000);
      // The client's going away may have released it already.
      if (this.#current === instance) {
        this.#current = undefined;
        instance.end();
      }
      if (body?.error !== undefined || this.#closed || !isUnreachable(failure)) {
        instance.abandoned();
        throw upstreamError(upstream.name, body?.error ?? failure, policy.timeoutMs);
      }
      instance.failed(true, now);
      if (this.#mayRetry(attempt, body)) {
        tried ??= [];
        tried.push(instance);
        const next = this.#retryOn(tried, hash);
        if (next !== undefined) {
          instance = next;
          await this.#backoff(attempt);
          if (!this.#closed) continue;
        }
      }
      throw upstreamError(upstream.name, failure, policy.timeoutMs);
    }
  }

  async #backoff(attempt: number): Promise<void> {
    const base = this.#deps.context.config.GATEWAY_RETRY_BACKOFF_MS;
    if (base <= 0) return;
    // Full jitter: retries of many requests that failed together do not arrive together.
    await delay(base * 2 ** attempt * (0.5 + Math.random() / 2));
  }
}

// Checked in the handler rather than by a params schema: one regular expression instead of a
// validation pass per request.
const SERVICE_NAME = /^[a-z][a-z0-9-]*$/;

/**
 * `/api/v1/<service>/...` is forwarded unchanged to an instance of <service>: a service's
 * routes are its public routes, so calling it directly or through the gateway is the same.
 * Bodies stream both ways; the gateway never waits for a whole request or response (a request
 * body that arrived with its head is sent with it, in one write).
 * Every route but the public ones needs a valid access token, checked before any upstream is
 * contacted; the service verifies the same token again (it trusts no one's word for it).
 * Rate limits come next (after authentication, so user and tenant buckets apply in the same
 * single check), then the bulkhead.
 */
export function registerProxyRoutes(app: ServiceApp, deps: ProxyDeps): void {
  const { context, upstreams, policies, aliases, publicRoutes, rateLimiter, metrics } = deps;
  const bodyLimit = context.config.BODY_LIMIT_BYTES;

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

    const forward = async (request: FastifyRequest, reply: FastifyReply) => {
      const { service: segment } = request.params as { service: string };
      if (!SERVICE_NAME.test(segment))
        throw GatewayErrors.unknownService(`No service named ${segment} is known to the gateway`);
      const alias = aliases.target(segment);
      const service = alias ?? segment;
      // The gateway never routes to itself: that would loop.
      const upstream = service === context.name ? undefined : upstreams.get(service);
      if (upstream === undefined) {
        throw GatewayErrors.unknownService(
          alias === undefined
            ? `No service named ${service} is known to the gateway`
            : `/api/v1/${segment} is served by ${service}, which is not known to the gateway`,
        );
      }
      if (!publicRoutes.has(request.method, request.url)) {
        try {
          await deps.authenticate(request);
        } catch (error) {
          // Guessing tokens still spends the client address's tokens.
          await rateLimiter?.check(request, reply, true);
          throw error;
        }
      }
      await rateLimiter?.check(request, reply);
      if (upstream.inFlight >= upstream.maxConcurrent) {
        metrics.bulkheadRejections.inc({ upstream: service });
        throw GatewayErrors.upstreamBusy(
          `${service} has ${upstream.maxConcurrent} requests in flight already`,
          { headers: { 'retry-after': '1' } },
        );
      }

      const declared = Number(request.headers['content-length'] ?? 0);
      if (declared > bodyLimit)
        throw PlatformErrors.payloadTooLarge(`Request body exceeds ${bodyLimit} bytes`);
      const incoming = request.body as IncomingMessage | undefined;
      const body =
        incoming !== undefined &&
        (declared > 0 || request.headers['transfer-encoding'] !== undefined)
          ? new RequestBody(incoming, bodyLimit)
          : undefined;
      const policy = policies.resolve(service, request.method, request.url);
      const stream = policy.stream || wantsEventStream(request.headers.accept);
      return new Exchange(deps, request, reply, upstream, policy, stream).run(body);
    };

    scope.route({
      method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: '/api/v1/:service',
      schema: { hide: true },
      handler: forward,
    });
    scope.route({
      method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
      url: '/api/v1/:service/*',
      schema: { hide: true },
      handler: forward,
    });
  });
}
