/**
 * One error factory for the whole platform: every error a service raises on purpose has a
 * stable `code`, an HTTP status and a title. Anything else that escapes a handler is an
 * internal error and is answered as a 500 without its message (see problem.ts).
 */
export interface AppErrorOptions {
  detail?: string;
  cause?: unknown;
  /** Extra members for the problem document (RFC 9457 extensions), e.g. `errors`. */
  extensions?: Record<string, unknown>;
  /** Response headers to set with the problem, e.g. `Retry-After`. */
  headers?: Record<string, string>;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly extensions: Record<string, unknown> | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: string, status: number, title: string, options: AppErrorOptions = {}) {
    super(options.detail ?? title, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.title = title;
    this.detail = options.detail;
    this.extensions = options.extensions;
    this.headers = options.headers;
  }
}

export type ErrorFactory = ((
  detail?: string,
  options?: Omit<AppErrorOptions, 'detail'>,
) => AppError) & {
  readonly code: string;
  readonly status: number;
  readonly title: string;
  /** True when `error` was made by this factory. */
  is(error: unknown): error is AppError;
};

/** `const NotFound = defineError('TODOS_NOT_FOUND', 404, 'Todo not found')`, then `throw NotFound()`. */
export function defineError(code: string, status: number, title: string): ErrorFactory {
  const factory = (detail?: string, options: Omit<AppErrorOptions, 'detail'> = {}) =>
    new AppError(code, status, title, { ...options, detail });
  return Object.assign(factory, {
    code,
    status,
    title,
    is: (error: unknown): error is AppError => error instanceof AppError && error.code === code,
  });
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

/** The platform's own codes. Services define theirs in their own errors.ts. */
export const PlatformErrors = {
  validation: defineError('VALIDATION_FAILED', 400, 'Request validation failed'),
  malformedBody: defineError('MALFORMED_BODY', 400, 'Malformed request body'),
  badRequest: defineError('BAD_REQUEST', 400, 'Bad request'),
  invalidCursor: defineError('INVALID_CURSOR', 400, 'Invalid pagination cursor'),
  unauthorized: defineError('UNAUTHORIZED', 401, 'Authentication required'),
  forbidden: defineError('FORBIDDEN', 403, 'Forbidden'),
  notFound: defineError('NOT_FOUND', 404, 'Not found'),
  methodNotAllowed: defineError('METHOD_NOT_ALLOWED', 405, 'Method not allowed'),
  conflict: defineError('CONFLICT', 409, 'Conflict'),
  payloadTooLarge: defineError('PAYLOAD_TOO_LARGE', 413, 'Payload too large'),
  unsupportedMediaType: defineError('UNSUPPORTED_MEDIA_TYPE', 415, 'Unsupported media type'),
  tooManyRequests: defineError('TOO_MANY_REQUESTS', 429, 'Too many requests'),
  internal: defineError('INTERNAL', 500, 'Internal server error'),
  badGateway: defineError('UPSTREAM_FAILED', 502, 'Bad gateway'),
  unavailable: defineError('UNAVAILABLE', 503, 'Service unavailable'),
  gatewayTimeout: defineError('UPSTREAM_TIMEOUT', 504, 'Gateway timeout'),
  shuttingDown: defineError('SHUTTING_DOWN', 503, 'Service is shutting down'),
  config: defineError('CONFIG_INVALID', 500, 'Invalid configuration'),
} as const;
