import type { IncomingMessage } from 'node:http';
import { randomBase64url, randomHex } from '../random-ids.ts';

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}$/;
const REQUEST_ID = /^[\w.:-]{1,128}$/;
const kTraceId = Symbol('lattice.traceId');

/** The W3C trace id of an incoming `traceparent`, or a new one when absent or malformed. */
export function traceIdOf(raw: IncomingMessage): string {
  const cached = (raw as IncomingMessage & { [kTraceId]?: string })[kTraceId];
  if (cached) return cached;
  const header = raw.headers.traceparent;
  const match = typeof header === 'string' ? TRACEPARENT.exec(header) : null;
  const traceId = match && !/^0+$/.test(match[1]!) ? match[1]! : randomHex(16);
  (raw as IncomingMessage & { [kTraceId]?: string })[kTraceId] = traceId;
  return traceId;
}

/** Honours a well-formed incoming `x-request-id` so one id follows a request across hops. */
export function requestIdOf(raw: IncomingMessage): string {
  const header = raw.headers['x-request-id'];
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomBase64url(12);
}
