import { defineError } from '@lattice/platform';

/** Every error this service raises on purpose; field validation stays the kit's VALIDATION_FAILED. */
export const OrdersErrors = {
  notFound: defineError('ORDERS_NOT_FOUND', 404, 'Order not found'),
  invalidCursor: defineError('ORDERS_INVALID_CURSOR', 400, 'Invalid pagination cursor'),
  idempotencyKeyMissing: defineError(
    'ORDERS_IDEMPOTENCY_KEY_REQUIRED',
    400,
    'An Idempotency-Key header is required',
  ),
  idempotencyKeyReused: defineError(
    'ORDERS_IDEMPOTENCY_KEY_REUSED',
    422,
    'Idempotency-Key already used with another request',
  ),
  idempotencyKeyInFlight: defineError(
    'ORDERS_IDEMPOTENCY_KEY_IN_FLIGHT',
    409,
    'A request with this Idempotency-Key is still in progress',
  ),
  unknownSku: defineError('ORDERS_UNKNOWN_SKU', 422, 'Unknown product'),
  duplicateSku: defineError('ORDERS_DUPLICATE_SKU', 422, 'The same product on two lines'),
  alreadyCancelled: defineError('ORDERS_ALREADY_CANCELLED', 409, 'The order is already cancelled'),
  notYours: defineError('ORDERS_NOT_YOURS', 403, 'Only the customer may cancel an order'),
  concurrentChange: defineError(
    'ORDERS_CONCURRENT_CHANGE',
    503,
    'The order kept changing while this request tried to change it',
  ),
  productExists: defineError('ORDERS_PRODUCT_EXISTS', 409, 'A product with this SKU exists'),
} as const;
