import { randomBytes } from 'node:crypto';
import { hostname, networkInterfaces } from 'node:os';
import type { InstanceHealth, InstanceRecord } from '../discovery.ts';

// KV keys are NATS subject tokens: a dot would split the id into two tokens and a wildcard
// would match other keys, so ids and service names keep to this alphabet.
const TOKEN = /^[A-Za-z0-9_-]+$/;

export function instanceKey(service: string, id: string): string {
  if (!TOKEN.test(service))
    throw new TypeError(`discovery: service name "${service}" is not [A-Za-z0-9_-]+`);
  if (!TOKEN.test(id)) throw new TypeError(`discovery: instance id "${id}" is not [A-Za-z0-9_-]+`);
  return `${service}.${id}`;
}

/** Host name, pid and a random suffix: unique across restarts that reuse a pid or a pod name. */
export function newInstanceId(): string {
  const host =
    hostname()
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .slice(0, 40) || 'host';
  return `${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * The address other processes can reach: the bind address unless it is a wildcard, then the
 * first external IPv4 (a pod's IP), else the host name. Kubernetes should pass the pod IP
 * explicitly (downward API) rather than rely on the guess.
 */
export function advertisedAddress(bindHost: string): string {
  if (bindHost && !['0.0.0.0', '::', '[::]', ''].includes(bindHost)) return bindHost;
  for (const addresses of Object.values(networkInterfaces())) {
    const external = addresses?.find((a) => a.family === 'IPv4' && !a.internal);
    if (external) return external.address;
  }
  return hostname();
}

export function baseUrl(address: string, port: number, scheme = 'http'): string {
  const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
  return `${scheme}://${host}:${port}`;
}

const HEALTH: ReadonlySet<string> = new Set<InstanceHealth>(['ready', 'draining']);

/**
 * A record read from the bucket, or undefined when it is not one. Anyone with write access to
 * the bucket can put anything there; a malformed value must not reach the routing table.
 */
export function parseRecord(value: unknown): InstanceRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const strings = ['service', 'id', 'address', 'url', 'startedAt', 'heartbeatAt'] as const;
  if (!strings.every((k) => typeof r[k] === 'string' && r[k] !== '')) return undefined;
  if (!Number.isInteger(r.port) || typeof r.health !== 'string' || !HEALTH.has(r.health))
    return undefined;
  if (Number.isNaN(Date.parse(r.heartbeatAt as string))) return undefined;
  try {
    new URL(r.url as string);
  } catch {
    return undefined;
  }
  return {
    service: r.service as string,
    id: r.id as string,
    address: r.address as string,
    port: r.port as number,
    url: (r.url as string).replace(/\/+$/, ''),
    version: typeof r.version === 'string' ? r.version : '',
    zone: typeof r.zone === 'string' ? r.zone : '',
    health: r.health as InstanceHealth,
    startedAt: r.startedAt as string,
    heartbeatAt: r.heartbeatAt as string,
  };
}

/** Whether a change is worth telling listeners about: a heartbeat alone is not. */
export function sameRouting(a: InstanceRecord, b: InstanceRecord): boolean {
  return (
    a.url === b.url &&
    a.health === b.health &&
    a.version === b.version &&
    a.zone === b.zone &&
    a.startedAt === b.startedAt
  );
}
