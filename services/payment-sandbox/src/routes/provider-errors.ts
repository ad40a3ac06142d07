import { timingSafeEqual } from 'node:crypto';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { ProviderError, SandboxErrors } from '../errors.ts';

/** Bearer <secret key>, compared in constant time. */
export function apiKeyCheck(secretKey: string) {
  const expected = Buffer.from(secretKey);
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    if (header === undefined) throw SandboxErrors.missingApiKey();
    const match = /^Bearer (\S+)$/i.exec(header);
    const given = Buffer.from(match?.[1] ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw SandboxErrors.invalidApiKey();
    }
  };
}

/** Inside the /v1 scope every error, validation included, leaves in the processor's format. */
export function installProviderErrors(scope: FastifyInstance): void {
  scope.setErrorHandler((error: FastifyError | ProviderError, request, reply) => {
    let answer: ProviderError;
    if (error instanceof ProviderError) answer = error;
    else if ('validation' in error && error.validation) {
      const issue = error.validation[0];
      const param = `${issue?.instancePath.replace(/^\//, '').replace(/\//g, '.') ?? ''}${
        (issue?.params as { missingProperty?: string })?.missingProperty ?? ''
      }`;
      answer = SandboxErrors.invalidRequest(
        `Invalid ${error.validationContext ?? 'request'}: ${param || 'value'} ${issue?.message ?? 'is invalid'}`,
        param || undefined,
      );
    } else if ('statusCode' in error && error.statusCode && error.statusCode < 500) {
      answer = SandboxErrors.invalidRequest(error.message);
    } else {
      request.log.error({ err: error }, 'sandbox request failed');
      answer = new ProviderError(500, 'api_error', 'internal_error', 'An internal error occurred');
    }
    return reply.code(answer.status).send(answer.body);
  });
}
