import type { CallContext, HttpRequest } from './client-types.ts';

/** Builds the target URL, keeping any path prefix the base URL carries (e.g. `/internal`). */
export function buildUrl(base: string, path: string, query: HttpRequest['query']): URL {
  const url = new URL(base);
  const queryAt = path.indexOf('?');
  const pathOnly = queryAt === -1 ? path : path.slice(0, queryAt);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${pathOnly.replace(/^\/+/, '')}`;
  url.search = queryAt === -1 ? '' : path.slice(queryAt);
  for (const [key, value] of Object.entries(query ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      if (item !== undefined && item !== null) url.searchParams.append(key, String(item));
    }
  }
  return url;
}

const contextHeaders: Record<keyof CallContext, string> = {
  requestId: 'x-request-id',
  authorization: 'authorization',
  traceparent: 'traceparent',
  tenantId: 'x-tenant-id',
};

export interface EncodedRequest {
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
}

/** Encoded once per call so every retry sends exactly the same bytes. */
export function encodeRequest(request: HttpRequest): EncodedRequest {
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [field, header] of Object.entries(contextHeaders)) {
    const value = request.context?.[field as keyof CallContext];
    if (value) headers[header] = value;
  }
  let body: string | Uint8Array | undefined;
  if (typeof request.body === 'string' || request.body instanceof Uint8Array) {
    body = request.body;
  } else if (request.body !== undefined) {
    body = JSON.stringify(request.body);
    headers['content-type'] = 'application/json';
  }
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  return { headers, body };
}

export function isJson(contentType: string | string[] | undefined): boolean {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  return value !== undefined && /^application\/([\w.-]+\+)?json\b/i.test(value.trim());
}

/** `Retry-After` as delta-seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Full jitter: spreads retries of many callers so they do not hit a recovering upstream in step. */
export function backoffMs(retry: number, initialMs: number, maxMs: number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** (retry - 1));
  return Math.floor(Math.random() * ceiling);
}
