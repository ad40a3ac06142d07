import { defineError } from '@lattice/platform';

/** Every error this service raises on purpose; field validation stays the kit's VALIDATION_FAILED. */
export const AnalyticsErrors = {
  invalidRange: defineError('ANALYTICS_INVALID_RANGE', 400, 'Invalid time range'),
  rangeTooLong: defineError('ANALYTICS_RANGE_TOO_LONG', 400, 'Time range too long'),
  currencyRequired: defineError(
    'ANALYTICS_CURRENCY_REQUIRED',
    400,
    'Several currencies in the range: name one',
  ),
  forbiddenTenant: defineError(
    'ANALYTICS_TENANT_FORBIDDEN',
    403,
    "Another tenant's analytics need the platform-admin role",
  ),
  notAdmin: defineError('ANALYTICS_ADMIN_REQUIRED', 403, 'Analytics are for administrators'),
} as const;
