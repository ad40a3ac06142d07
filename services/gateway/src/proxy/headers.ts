import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

// RFC 9110 §7.6.1: these describe one connection, not the message, and must not be forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

// Identity travels only as the signed access token in Authorization, which every service
// verifies itself. Headers like these would be believed by a careless service, so a client
// must never be able to set them.
const FORGEABLE_IDENTITY = new Set(['x-user-id', 'x-tenant-id', 'x-roles', 'x-identity']);

function isForgeableIdentity(name: string): boolean {
  return FORGEABLE_IDENTITY.has(name) || name.startsWith('x-lattice-');
}

function withoutHopByHop(
  headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>,
) {
  const listed = String(headers.connection ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

export interface ForwardContext {
  requestId: string;
  traceId: string;
  clientIp: string;
  protocol: string;
  host: string | undefined;
}

/**
 * Headers for the upstream request: the client's, minus hop-by-hop and identity-looking ones,
 * plus forwarding context. Authorization passes unchanged: it is the identity, in signed form.
 */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, context: ForwardContext) {
  const headers = withoutHopByHop(incoming);
  for (const name of Object.keys(headers)) if (isForgeableIdentity(name)) delete headers[name];
  const priorFor = incoming['x-forwarded-for'];
  headers['x-forwarded-for'] = priorFor ? `${priorFor}, ${context.clientIp}` : context.clientIp;
  headers['x-forwarded-proto'] = context.protocol;
  if (context.host) headers['x-forwarded-host'] = context.host;
  headers['x-request-id'] = context.requestId;
  // The gateway is the first hop of the trace when the client sent no valid traceparent; a
  // malformed one is replaced so the upstream joins the trace the gateway logs under.
  const given = incoming.traceparent;
  if (typeof given !== 'string' || given.split('-')[1] !== context.traceId)
    headers.traceparent = `00-${context.traceId}-${randomBytes(8).toString('hex')}-01`;
  return headers;
}

export function downstreamResponseHeaders(upstream: Record<string, string | string[] | undefined>) {
  return withoutHopByHop(upstream);
}
