import { randomFillSync } from 'node:crypto';
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

// The gateway owns the CORS policy (no service may open the API wider than the allow-list),
// and these two name the software behind the gateway, which only helps an attacker.
const GATEWAY_OWNED = new Set(['server', 'x-powered-by']);

function isGatewayOwned(name: string): boolean {
  return GATEWAY_OWNED.has(name) || name.startsWith('access-control-');
}

function isForgeableIdentity(name: string): boolean {
  return FORGEABLE_IDENTITY.has(name) || name.startsWith('x-lattice-');
}

type Headers = IncomingHttpHeaders | Record<string, string | string[] | undefined>;

/** Header names the Connection field lists as hop-by-hop; none for the usual values. */
function listedInConnection(headers: Headers): string[] | undefined {
  const connection = headers.connection;
  // The common cases, without splitting a string per request.
  if (connection === undefined || connection === 'keep-alive' || connection === 'close')
    return undefined;
  return String(connection)
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
}

/** `request`: identity-looking headers go; a response: the headers the gateway owns go. */
function withoutHopByHop(headers: Headers, request: boolean) {
  const listed = listedInConnection(headers);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    if (listed?.includes(name)) continue;
    if (request ? isForgeableIdentity(name) : isGatewayOwned(name)) continue;
    out[name] = value;
  }
  return out;
}

// Span ids come from a pool filled 512 at a time: one call into the CSPRNG per request was a
// measurable share of the gateway's time.
const POOL = Buffer.alloc(8 * 512);
let poolAt = POOL.length;

function spanId(): string {
  if (poolAt === POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  poolAt += 8;
  return POOL.toString('hex', poolAt - 8, poolAt);
}

/** `00-<traceId>-...`: compared in place rather than split, as it is on every request. */
function carriesTrace(traceparent: string | string[] | undefined, traceId: string): boolean {
  return (
    typeof traceparent === 'string' &&
    traceparent.charCodeAt(2) === 45 &&
    traceparent.startsWith(traceId, 3) &&
    traceparent.charCodeAt(3 + traceId.length) === 45
  );
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
  const headers = withoutHopByHop(incoming, true);
  const priorFor = incoming['x-forwarded-for'];
  headers['x-forwarded-for'] = priorFor ? `${priorFor}, ${context.clientIp}` : context.clientIp;
  headers['x-forwarded-proto'] = context.protocol;
  if (context.host) headers['x-forwarded-host'] = context.host;
  headers['x-request-id'] = context.requestId;
  // The gateway is the first hop of the trace when the client sent no valid traceparent; a
  // malformed one is replaced so the upstream joins the trace the gateway logs under.
  if (!carriesTrace(incoming.traceparent, context.traceId))
    headers.traceparent = `00-${context.traceId}-${spanId()}-01`;
  return headers;
}

export function downstreamResponseHeaders(upstream: Record<string, string | string[] | undefined>) {
  return withoutHopByHop(upstream, false);
}
