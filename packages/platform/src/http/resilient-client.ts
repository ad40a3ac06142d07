import { setTimeout as sleep } from 'node:timers/promises';
import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from 'cockatiel';
import { type Dispatcher, Pool } from 'undici';
import { PlatformErrors } from '../errors.ts';
import { trackCircuit } from '../telemetry/circuit-metrics.ts';
import type {
  CircuitStatus,
  HttpClient,
  HttpClientOptions,
  HttpRequest,
  HttpResponse,
  RequestOptions,
} from './client-types.ts';
import {
  backoffMs,
  buildUrl,
  type EncodedRequest,
  encodeRequest,
  isJson,
  retryAfterMs,
} from './wire.ts';

// Replaying these cannot apply a change twice; POST and PATCH may already have taken effect.
const idempotentMethods = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
// Gateways and overloaded instances answer these while the upstream may well recover; a 500 is
// the upstream's own verdict on this request and would most likely repeat.
const retryableStatuses = new Set([502, 503, 504]);
const timeoutCodes = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const connectionCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const isTransient = (error: unknown) =>
  PlatformErrors.gatewayTimeout.is(error) || PlatformErrors.badGateway.is(error);

function positive(value: number, what: string, allowZero = false): number {
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TypeError(
      `http client: ${what} must be a ${allowZero ? 'non-negative' : 'positive'} number`,
    );
  }
  return value;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { name, logger } = options;
  const defaultTimeoutMs = positive(options.timeoutMs ?? 5000, 'timeoutMs');
  const retries = Math.floor(positive(options.retries ?? 2, 'retries', true));
  const initialMs = positive(options.backoff?.initialMs ?? 50, 'backoff.initialMs', true);
  const maxMs = positive(options.backoff?.maxMs ?? 1000, 'backoff.maxMs', true);
  const threshold = positive(
    options.breaker?.consecutiveFailures ?? 5,
    'breaker.consecutiveFailures',
  );
  const halfOpenAfterMs = positive(
    options.breaker?.halfOpenAfterMs ?? 10_000,
    'breaker.halfOpenAfterMs',
  );
  const resolveBase =
    typeof options.baseUrl === 'function' ? options.baseUrl : () => options.baseUrl as string;

  const pools = new Map<string, Pool>();
  let closed = false;
  let openedAt = 0;

  // Every failed attempt counts, not every failed call, so a dead upstream trips the breaker
  // within a couple of calls instead of after threshold × (retries + 1) attempts.
  const breaker = circuitBreaker(
    handleWhen(isTransient).orWhenResult((result) => (result as RawResponse).status >= 500),
    { halfOpenAfter: halfOpenAfterMs, breaker: new ConsecutiveBreaker(threshold) },
  );
  if (options.metrics) trackCircuit(options.metrics, name, () => circuitStatus());
  breaker.onBreak(() => {
    openedAt = Date.now();
    logger?.warn({ upstream: name, halfOpenAfterMs }, 'upstream circuit opened');
  });

  function circuitStatus(): CircuitStatus {
    if (breaker.state === CircuitState.Closed) return 'closed';
    return breaker.state === CircuitState.HalfOpen ? 'half-open' : 'open';
  }

  function poolFor(origin: string): Pool {
    let pool = pools.get(origin);
    if (!pool) {
      pool = new Pool(origin);
      pools.set(origin, pool);
    }
    return pool;
  }

  async function attempt(
    method: string,
    url: URL,
    encoded: EncodedRequest,
    timeoutMs: number,
  ): Promise<RawResponse> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await poolFor(url.origin).request({
        method: method as Dispatcher.HttpMethod,
        path: `${url.pathname}${url.search}`,
        headers: encoded.headers,
        body: encoded.body,
        signal: controller.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      // Read inside the timer: a body that stalls is as late as headers that never come.
      const text = await response.body.text();
      return { status: response.statusCode, headers: response.headers, text };
    } catch (error) {
      const code = errorCode(error);
      if (controller.signal.aborted || (code && timeoutCodes.has(code))) {
        throw PlatformErrors.gatewayTimeout(`${name} did not answer within ${timeoutMs} ms`, {
          cause: error,
        });
      }
      if (code && connectionCodes.has(code)) {
        throw PlatformErrors.badGateway(`${name} is unreachable: ${code}`, { cause: error });
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  function circuitOpen(cause: unknown) {
    const remainingMs = openedAt + halfOpenAfterMs - Date.now();
    const seconds = Math.max(1, Math.ceil(remainingMs / 1000));
    return PlatformErrors.unavailable(`${name} circuit is open`, {
      cause,
      headers: { 'retry-after': String(seconds) },
    });
  }

  function decode<T>(raw: RawResponse): HttpResponse<T> {
    let body: unknown = raw.text === '' ? undefined : raw.text;
    if (body !== undefined && isJson(raw.headers['content-type'])) {
      try {
        body = JSON.parse(raw.text);
      } catch (error) {
        throw PlatformErrors.badGateway(`${name} answered with malformed JSON`, { cause: error });
      }
    }
    return { status: raw.status, headers: raw.headers, body: body as T };
  }

  async function request<T = unknown>(req: HttpRequest): Promise<HttpResponse<T>> {
    if (closed) throw PlatformErrors.shuttingDown(`${name} client is closed`);
    const method = req.method.toUpperCase();
    const timeoutMs = req.timeoutMs ?? defaultTimeoutMs;
    const encoded = encodeRequest(req);
    // An Idempotency-Key makes a POST or PATCH safe to replay: the upstream applies it once.
    const replayable = idempotentMethods.has(method) || encoded.headers['idempotency-key'];
    const attempts = replayable ? retries + 1 : 1;

    async function pause(retry: number, hintMs: number | undefined, why: Record<string, unknown>) {
      const delayMs =
        hintMs === undefined ? backoffMs(retry, initialMs, maxMs) : Math.min(hintMs, maxMs);
      logger?.warn(
        { upstream: name, method, path: req.path.split('?')[0], retry, delayMs, ...why },
        'retrying upstream call',
      );
      await sleep(delayMs);
    }

    for (let attemptNo = 1; ; attemptNo++) {
      // Resolved per attempt so a retry can reach the instance discovery has just moved to.
      const url = buildUrl(resolveBase(), req.path, req.query);
      let raw: RawResponse;
      try {
        raw = await breaker.execute(() => attempt(method, url, encoded, timeoutMs));
      } catch (error) {
        if (error instanceof BrokenCircuitError) throw circuitOpen(error);
        if (attemptNo >= attempts || !isTransient(error)) throw error;
        await pause(attemptNo, undefined, { reason: (error as Error).message });
        continue;
      }
      if (attemptNo >= attempts || !retryableStatuses.has(raw.status)) return decode<T>(raw);
      await pause(attemptNo, retryAfterMs(raw.headers['retry-after']), { status: raw.status });
    }
  }

  const withBody =
    (method: HttpRequest['method']) =>
    <T = unknown>(path: string, body?: unknown, opts: RequestOptions = {}) =>
      request<T>({ ...opts, method, path, body });

  return {
    request,
    get: (path, opts = {}) => request({ ...opts, method: 'GET', path }),
    post: withBody('POST'),
    put: withBody('PUT'),
    patch: withBody('PATCH'),
    delete: (path, opts = {}) => request({ ...opts, method: 'DELETE', path }),
    circuitState: circuitStatus,
    async close() {
      closed = true;
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.close()));
    },
  };
}
