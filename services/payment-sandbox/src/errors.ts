/**
 * The sandbox answers errors the way card processors do, `{error: {type, code, message}}`,
 * not with our problem+json: it plays an external system whose vocabulary the payments
 * service's adapter must translate. Every error it raises on purpose is defined here.
 */
export class ProviderError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string;
  readonly param: string | undefined;
  /** A failed charge travels with its decline, as processors attach it. */
  readonly charge: unknown;

  constructor(
    status: number,
    type: string,
    code: string,
    message: string,
    extra: { param?: string; charge?: unknown } = {},
  ) {
    super(message);
    this.name = 'ProviderError';
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = extra.param;
    this.charge = extra.charge;
  }

  get body() {
    return {
      error: {
        type: this.type,
        code: this.code,
        message: this.message,
        ...(this.param ? { param: this.param } : {}),
        ...(this.charge ? { charge: this.charge } : {}),
      },
    };
  }
}

export const SandboxErrors = {
  invalidRequest: (message: string, param?: string) =>
    new ProviderError(400, 'invalid_request_error', 'parameter_invalid', message, { param }),
  unknownPaymentMethod: (method: string) =>
    new ProviderError(
      400,
      'invalid_request_error',
      'resource_missing',
      `No such payment_method: '${method}'`,
      { param: 'payment_method' },
    ),
  missingApiKey: () =>
    new ProviderError(
      401,
      'authentication_error',
      'api_key_missing',
      'You did not provide an API key: send "Authorization: Bearer <secret key>"',
    ),
  invalidApiKey: () =>
    new ProviderError(401, 'authentication_error', 'api_key_invalid', 'Invalid API key provided'),
  chargeNotFound: (id: string) =>
    new ProviderError(404, 'invalid_request_error', 'resource_missing', `No such charge: '${id}'`, {
      param: 'charge',
    }),
  notFound: (path: string) =>
    new ProviderError(
      404,
      'invalid_request_error',
      'resource_missing',
      `Unrecognized request URL: ${path}`,
    ),
  alreadyRefunded: (id: string) =>
    new ProviderError(
      400,
      'invalid_request_error',
      'charge_already_refunded',
      `Charge ${id} has already been refunded`,
      { param: 'charge' },
    ),
  notRefundable: (id: string) =>
    new ProviderError(
      400,
      'invalid_request_error',
      'charge_not_refundable',
      `Charge ${id} did not succeed, so there is nothing to refund`,
      { param: 'charge' },
    ),
  idempotencyKeyReused: () =>
    new ProviderError(
      422,
      'idempotency_error',
      'idempotency_key_reused',
      'Keys for idempotent requests can only be used with the same parameters they were first used with',
    ),
  declined: (code: 'card_declined' | 'insufficient_funds', charge: unknown) =>
    new ProviderError(
      402,
      'card_error',
      code,
      code === 'card_declined' ? 'Your card was declined.' : 'Your card has insufficient funds.',
      { charge },
    ),
  processingError: () =>
    new ProviderError(
      503,
      'api_error',
      'processing_error',
      'An error occurred while processing the card; retry with the same Idempotency-Key',
    ),
  outage: () =>
    new ProviderError(
      503,
      'api_error',
      'service_unavailable',
      'The processor is temporarily unavailable (sandbox outage simulation)',
    ),
} as const;
