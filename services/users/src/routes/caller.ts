import type { Identity } from '@lattice/platform';
import type { FastifyRequest } from 'fastify';

/** The verified caller, set by the kit's `authenticate` hook that every route here runs first. */
export function callerOf(request: FastifyRequest): Identity {
  // Reaching a handler without it is a wiring bug, hence a 500 rather than a 401.
  if (!request.identity) throw new Error('route registered without the authenticate hook');
  return request.identity;
}
