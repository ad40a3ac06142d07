import { defineError } from '@lattice/platform';

/** Every error this service raises on purpose; field validation stays the kit's VALIDATION_FAILED. */
export const TodosErrors = {
  notFound: defineError('TODOS_NOT_FOUND', 404, 'Todo not found'),
  invalidCursor: defineError('TODOS_INVALID_CURSOR', 400, 'Invalid pagination cursor'),
  preconditionFailed: defineError(
    'TODOS_PRECONDITION_FAILED',
    412,
    'The todo changed since you read it',
  ),
  idempotencyKeyReused: defineError(
    'TODOS_IDEMPOTENCY_KEY_REUSED',
    422,
    'Idempotency-Key already used with another request',
  ),
  idempotencyKeyInFlight: defineError(
    'TODOS_IDEMPOTENCY_KEY_IN_FLIGHT',
    409,
    'A request with this Idempotency-Key is still in progress',
  ),
} as const;
