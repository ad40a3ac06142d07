import type { FastifyRequest } from 'fastify';

/**
 * The client's address for throttling. Behind the gateway every request comes from the gateway,
 * so X-Forwarded-For is read, but only hops appended by trusted proxies: walking from the
 * right, the first untrusted address is the client (anything left of it could be forged).
 */
export function clientIpResolver(trustedList: string) {
  const trusted = new Set(
    trustedList
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const isTrusted = (ip: string) => trusted.has('*') || trusted.has(ip);

  return (request: FastifyRequest): string => {
    let ip = request.socket.remoteAddress ?? request.ip;
    const header = request.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    while (isTrusted(ip) && hops.length > 0) ip = hops.pop()!;
    return ip;
  };
}
