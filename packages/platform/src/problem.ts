import { trace } from '@opentelemetry/api';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type AppError, isAppError, PlatformErrors } from './errors.ts';
import { traceIdOf } from './http/trace-context.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code: string;
  traceId: string;
  [extension: string]: unknown;
}

export function problemType(code: string): string {
  return `urn:lattice:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

interface ValidationIssue {
  instancePath: string;
  message?: string;
  keyword: string;
  params: Record<string, unknown>;
}

/** `body.items[0].sku` style names, with the missing or unknown property spelled out. */
function fieldOf(context: string, issue: ValidationIssue): string {
  const segments = issue.instancePath
    .split('/')
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`));
  const extra = (issue.params.missingProperty ?? issue.params.additionalProperty) as
    | string
    | undefined;
  if (extra !== undefined) segments.push(`.${extra}`);
  return `${context}${segments.join('')}`;
}

function messageOf(issue: ValidationIssue): string {
  if (issue.keyword === 'additionalProperties') return 'is not allowed';
  if (issue.keyword === 'required') return 'is required';
  return issue.message ?? 'is invalid';
}

function validationError(error: FastifyError): AppError {
  const context = error.validationContext ?? 'body';
  const seen = new Set<string>();
  const errors = (error.validation as ValidationIssue[])
    .map((issue) => ({ field: fieldOf(context, issue), message: messageOf(issue) }))
    .filter((e) => (seen.has(e.field) ? false : seen.add(e.field)));
  const detail = errors.map((e) => `${e.field} ${e.message}`).join('; ');
  return PlatformErrors.validation(detail, { extensions: { errors } });
}

/** Fastify's own client errors (content-type parsing, body size, ...) as platform codes. */
function frameworkClientError(error: FastifyError): AppError {
  const status = error.statusCode ?? 400;
  if (status === 413) return PlatformErrors.payloadTooLarge(error.message);
  if (status === 415) return PlatformErrors.unsupportedMediaType(error.message);
  if (status === 404) return PlatformErrors.notFound(error.message);
  if (status === 405) return PlatformErrors.methodNotAllowed(error.message);
  if (error.code?.startsWith('FST_ERR_CTP') || error instanceof SyntaxError) {
    return PlatformErrors.malformedBody(error.message);
  }
  return PlatformErrors.badRequest(error.message);
}

const POOL_TIMEOUT_MESSAGE = 'timeout exceeded when trying to connect';

export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError?.validation) return validationError(fastifyError);
  const status = fastifyError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return frameworkClientError(fastifyError);
  // pg-pool's wait for a free connection ran out: the service is overloaded, not broken, and
  // the same request may well succeed a moment later.
  if (error instanceof Error && error.message === POOL_TIMEOUT_MESSAGE) {
    return PlatformErrors.unavailable('The database is busy; retry shortly', {
      headers: { 'retry-after': '1' },
    });
  }
  return PlatformErrors.internal(
    'An unexpected error occurred; quote the traceId when reporting it',
  );
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  error: AppError,
): FastifyReply {
  const problem: Problem = {
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    ...(error.detail ? { detail: error.detail } : {}),
    instance: request.url.split('?')[0],
    code: error.code,
    // The active span's trace when tracing is on (the same id as `traceIdOf` for a new trace).
    traceId: trace.getActiveSpan()?.spanContext().traceId ?? traceIdOf(request.raw),
    ...error.extensions,
  };
  if (error.headers) reply.headers(error.headers);
  return reply.code(error.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/** Every error leaves as application/problem+json; a 5xx never carries the original message. */
export function installProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) {
      request.log.error({ err: error }, 'request failed');
    } else if (!isAppError(error)) {
      request.log.info({ code: appError.code, detail: appError.detail }, 'rejected bad request');
    }
    return sendProblem(request, reply, appError);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      request,
      reply,
      PlatformErrors.notFound(`No route for ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}
