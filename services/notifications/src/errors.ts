import { defineError } from '@lattice/platform';

/** Every error this service raises on purpose; field validation stays the kit's VALIDATION_FAILED. */
export const NotificationsErrors = {
  notFound: defineError('NOTIFICATIONS_NOT_FOUND', 404, 'Notification not found'),
  invalidCursor: defineError('NOTIFICATIONS_INVALID_CURSOR', 400, 'Invalid pagination cursor'),
} as const;
