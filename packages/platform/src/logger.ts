import type { LoggerOptions } from 'pino';
import { traceLogFields } from './telemetry/log-fields.ts';

/**
 * Paths that may carry credentials. pino replaces them before a line is written, so a
 * secret cannot reach the logs even when a whole request or config object is logged.
 */
export const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  // `log.info({ headers: request.headers })`: Fastify's req serializer drops headers, this does not.
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-api-key"]',
  'password',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  'token',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.inviteToken',
  '*.secret',
  '*.apiKey',
];

/** Without `service`, lines carry none: the embedded runtime's per-service children add theirs. */
export function loggerOptions(
  service: string | undefined,
  level: string,
  extraRedactions: string[] = [],
): LoggerOptions {
  return {
    level,
    base: service ? { service } : {},
    messageKey: 'msg',
    timestamp: () => `,"time":"${new Date().toISOString()}"`,
    redact: { paths: [...redactedPaths, ...extraRedactions], censor: '[redacted]' },
    mixin: traceLogFields,
  };
}
