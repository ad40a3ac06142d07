import type { Registry } from 'prom-client';

export type HttpMethod = 'GET' | 'HEAD' | 'OPTIONS' | 'PUT' | 'DELETE' | 'POST' | 'PATCH';

export type CircuitStatus = 'closed' | 'open' | 'half-open';

export interface HttpClientLogger {
  warn(obj: Record<string, unknown>, msg: string): void;
}

export interface HttpClientOptions {
  /** Upstream service name; it names the upstream in errors and logs. */
  name: string;
  /** A function is resolved on every attempt, so discovery can move the upstream between calls. */
  baseUrl: string | (() => string);
  /** Per attempt, from connect to the last body byte. Default 5000. */
  timeoutMs?: number;
  /** Extra attempts for idempotent methods on transient failures. Default 2. */
  retries?: number;
  backoff?: { initialMs?: number; maxMs?: number };
  breaker?: { consecutiveFailures?: number; halfOpenAfterMs?: number };
  logger?: HttpClientLogger;
  /**
   * The service's registry (`context.metrics`): the circuit's state is served as
   * `lattice_http_client_circuit_state{upstream=<name>}`.
   */
  metrics?: Registry;
}

/** What a service forwards from its own inbound request to the upstream. */
export interface CallContext {
  requestId?: string;
  authorization?: string;
  traceparent?: string;
  tenantId?: string;
}

export type QueryValue = string | number | boolean | null | undefined;

export interface HttpRequest {
  method: HttpMethod;
  /** Appended to the base URL's path; may carry its own `?query`. */
  path: string;
  query?: Record<string, QueryValue | readonly QueryValue[]>;
  /** Explicit headers win over the ones derived from `context`. */
  headers?: Record<string, string | undefined>;
  /** Strings and bytes are sent as they are; anything else is sent as JSON. */
  body?: unknown;
  timeoutMs?: number;
  context?: CallContext;
}

export interface HttpResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed when the upstream declares JSON, the text otherwise, `undefined` when empty. */
  body: T;
}

export type RequestOptions = Omit<HttpRequest, 'method' | 'path' | 'body'>;

export interface HttpClient {
  request<T = unknown>(request: HttpRequest): Promise<HttpResponse<T>>;
  get<T = unknown>(path: string, options?: RequestOptions): Promise<HttpResponse<T>>;
  post<T = unknown>(
    path: string,
    body?: unknown,
    options?: RequestOptions,
  ): Promise<HttpResponse<T>>;
  put<T = unknown>(
    path: string,
    body?: unknown,
    options?: RequestOptions,
  ): Promise<HttpResponse<T>>;
  patch<T = unknown>(
    path: string,
    body?: unknown,
    options?: RequestOptions,
  ): Promise<HttpResponse<T>>;
  delete<T = unknown>(path: string, options?: RequestOptions): Promise<HttpResponse<T>>;
  circuitState(): CircuitStatus;
  /** Closes every pooled connection; later calls are refused. */
  close(): Promise<void>;
}
