import { defineError } from '@lattice/platform';

/** Every error this service raises on purpose; field validation stays the kit's VALIDATION_FAILED. */
export const PaymentsErrors = {
  notFound: defineError('PAYMENTS_NOT_FOUND', 404, 'Payment not found'),
  invalidCursor: defineError('PAYMENTS_INVALID_CURSOR', 400, 'Invalid pagination cursor'),
  notRefundable: defineError(
    'PAYMENTS_NOT_REFUNDABLE',
    409,
    'Only a succeeded payment can be refunded',
  ),
} as const;
