import type { FastifyReply, FastifyRequest } from 'fastify';

const ALWAYS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-site',
} as const;
// An API answer is never a document to render: nothing may load from it or frame it.
const API_CSP = "default-src 'none'; frame-ancestors 'none'";
const HSTS = 'max-age=31536000; includeSubDomains';

/** The scheme the client used: TLS ends at the load balancer, which says so in x-forwarded-proto. */
function cameOverHttps(request: FastifyRequest): boolean {
  const forwarded = request.headers['x-forwarded-proto'];
  if (forwarded === undefined) return request.protocol === 'https';
  const first = String(Array.isArray(forwarded) ? forwarded[0] : (forwarded ?? ''))
    .split(',')[0]
    ?.trim()
    .toLowerCase();
  return first === 'https' || request.protocol === 'https';
}

function isHtml(reply: FastifyReply): boolean {
  const type = reply.getHeader('content-type');
  return type !== undefined && /^\s*text\/html/i.test(String(type));
}

/**
 * Part of onSend: the same security headers on every gateway answer, its own and proxied ones,
 * so a service cannot forget them. The strict CSP is for API answers; an HTML page (none is
 * served through the gateway today) keeps the policy its service set. `Server` and
 * `X-Powered-By` of upstreams are dropped as their answers are copied (see proxy/headers.ts).
 */
export function securityHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.headers(ALWAYS);
  if (!isHtml(reply)) reply.header('content-security-policy', API_CSP);
  if (cameOverHttps(request)) reply.header('strict-transport-security', HSTS);
}
