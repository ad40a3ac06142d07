import { isAppError } from '@lattice/platform';
import { GatewayErrors } from '../errors.ts';

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const DOWN_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
/** The connection broke before an answer: nothing about the request itself. */
const BROKEN_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

function codeOf(error: unknown): string {
  return (
    (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code ?? ''
  );
}

/**
 * A connection error or timeout: says the instance could not be reached (circuit breaker,
 * ejection), and is worth another instance for a request that may be repeated.
 */
export function isUnreachable(error: unknown): boolean {
  const code = codeOf(error);
  return TIMEOUT_CODES.has(code) || DOWN_CODES.has(code) || BROKEN_CODES.has(code);
}

/** The problem a client gets for an attempt that ended in `error`. */
export function upstreamError(service: string, error: unknown, timeoutMs: number) {
  if (isAppError(error)) return error;
  const code = codeOf(error);
  if (TIMEOUT_CODES.has(code))
    return GatewayErrors.upstreamTimeout(`${service} did not answer within ${timeoutMs} ms`);
  if (DOWN_CODES.has(code)) {
    return GatewayErrors.upstreamDown(`${service} is not accepting connections`, {
      headers: { 'retry-after': '1' },
    });
  }
  return GatewayErrors.upstreamFailed(
    `${service} failed to answer (${code || 'connection error'})`,
  );
}
