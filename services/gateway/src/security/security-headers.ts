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
// They name the software and version behind the gateway, which only helps an attacker.
const REVEALING = ['x-powered-by', 'server'];

/** The scheme the client used: TLS ends at the load balancer, which says so in x-forwarded-proto. */
function cameOverHttps(request: FastifyRequest): boolean {
  const forwarded = request.headers['x-forwarded-proto'];
  const first = String(Array.isArray(forwarded) ? forwarded[0] : (forwarded ?? ''))
    .split(',')[0]
    ?.trim()
    .toLowerCase();
  return first === 'https' || request.protocol === 'https';
}

function isHtml(reply: FastifyReply): boolean {
  return /^\s*text\/html/i.test(String(reply.getHeader('content-type') ?? ''));
}

/**
 * onSend: the same security headers on every gateway answer, its own and proxied ones, so a
 * service cannot forget them. The strict CSP is for API answers; an HTML page (none is served
 * through the gateway today) keeps the policy its service set.
 */
export async function securityHeaders(request: FastifyRequest, reply: FastifyReply) {
  for (const name of REVEALING) reply.removeHeader(name);
  reply.headers(ALWAYS);
  if (!isHtml(reply)) reply.header('content-security-policy', API_CSP);
  if (cameOverHttps(request)) reply.header('strict-transport-security', HSTS);
}
