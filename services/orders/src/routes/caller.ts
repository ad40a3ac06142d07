import type { Identity } from '@lattice/platform';
import type { FastifyRequest } from 'fastify';

/** The verified caller, set by the kit's `authenticate` hook that every public route runs first. */
export function callerOf(request: FastifyRequest): Identity {
  // Reaching a handler without it is a wiring bug, hence a 500 rather than a 401.
  if (!request.identity) throw new Error('route registered without the authenticate hook');
  return request.identity;
}

/** Carried into the events a request records, so a trace follows the change through the bus. */
export function traceparentOf(request: FastifyRequest): string | undefined {
  const header = request.headers.traceparent;
  return typeof header === 'string' && TRACEPARENT.test(header) ? header : undefined;
}

// W3C Trace Context; a malformed header is dropped rather than passed on to every consumer.
const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;
