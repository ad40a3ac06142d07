import type { NatsConnection } from '@nats-io/transport-node';
import type { Static } from 'typebox';
import { type Discovery, type InstanceRecord, StaticDiscovery } from '../discovery.ts';
import type { discoveryConfigSchema } from './config.ts';
import { DnsDiscovery } from './dns-discovery.ts';
import { parseDnsServices } from './dns-targets.ts';
import { advertisedAddress, baseUrl, newInstanceId } from './instance-record.ts';
import type { DiscoveryLogger } from './logger.ts';
import { NatsKvDiscovery } from './nats-kv-discovery.ts';
import { type InstanceInfo, noRegistration, type Registration } from './registration.ts';

/** The keys `createDiscovery` reads; a service's full config fits. Missing ones take their defaults. */
export type DiscoveryConfig = Partial<Static<typeof discoveryConfigSchema>> & {
  SERVICE_URLS?: string;
  NATS_URL?: string;
  HOST?: string;
};

export interface CreateDiscoveryOptions {
  /** The service name: names the NATS connection. */
  name?: string;
  logger?: DiscoveryLogger;
  /** nats-kv: share a connection the caller owns instead of opening one. */
  connection?: NatsConnection;
  /** dns: per-service ports (e.g. from the service catalog), over DISCOVERY_DNS_PORT. */
  ports?: Record<string, number>;
  /** dns: names to resolve from the start, besides DISCOVERY_DNS_SERVICES. */
  services?: string[];
}

/**
 * The Discovery for `DISCOVERY_MODE`. nats-kv and dns resolve once their first table is loaded,
 * so the first request already finds its upstreams. Close it at shutdown (`close()`), after
 * deregistering.
 */
export async function createDiscovery(
  config: DiscoveryConfig,
  options: CreateDiscoveryOptions = {},
): Promise<Discovery> {
  const mode = config.DISCOVERY_MODE ?? 'static';
  if (mode === 'static') return StaticDiscovery.parse(config.SERVICE_URLS ?? '');
  if (mode === 'nats-kv') {
    return NatsKvDiscovery.connect({
      ...(options.connection
        ? { connection: options.connection }
        : { servers: config.NATS_URL ?? 'nats://127.0.0.1:4222' }),
      ...(options.name ? { name: options.name } : {}),
      ...(config.DISCOVERY_BUCKET ? { bucket: config.DISCOVERY_BUCKET } : {}),
      ...(config.DISCOVERY_TTL_MS ? { ttlMs: config.DISCOVERY_TTL_MS } : {}),
      ...(config.DISCOVERY_HEARTBEAT_MS ? { heartbeatMs: config.DISCOVERY_HEARTBEAT_MS } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }
  if (mode === 'dns') {
    const listed = parseDnsServices(config.DISCOVERY_DNS_SERVICES ?? '');
    return DnsDiscovery.start({
      services: [...new Set([...listed.names, ...(options.services ?? [])])],
      overrides: listed.overrides,
      ...(config.DISCOVERY_DNS_TEMPLATE ? { template: config.DISCOVERY_DNS_TEMPLATE } : {}),
      ...(config.DISCOVERY_DNS_NAMESPACE ? { namespace: config.DISCOVERY_DNS_NAMESPACE } : {}),
      ...(config.DISCOVERY_DNS_PORT ? { port: config.DISCOVERY_DNS_PORT } : {}),
      ...(options.ports ? { ports: options.ports } : {}),
      ...(config.DISCOVERY_DNS_INTERVAL_MS ? { intervalMs: config.DISCOVERY_DNS_INTERVAL_MS } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }
  throw new TypeError(`discovery: unknown DISCOVERY_MODE "${mode}"`);
}

/**
 * Announces this process as an instance of `info.service` once it listens. With nats-kv it is
 * put in the registry and heartbeated; static and DNS have nothing to announce to (the table or
 * the orchestrator knows), so the returned registration does nothing.
 *
 * Config: INSTANCE_ID, INSTANCE_ADDRESS (else HOST unless a wildcard), INSTANCE_ZONE; `info`
 * wins over config.
 */
export async function registerInstance(
  discovery: Discovery,
  info: InstanceInfo,
  config: DiscoveryConfig = {},
): Promise<Registration> {
  const address = info.address || config.INSTANCE_ADDRESS || advertisedAddress(config.HOST ?? '');
  const complete: InstanceInfo = {
    ...info,
    address,
    id: info.id || config.INSTANCE_ID || newInstanceId(),
    zone: info.zone ?? config.INSTANCE_ZONE ?? '',
  };
  if (discovery instanceof NatsKvDiscovery) return discovery.register(complete);
  const now = new Date().toISOString();
  const record: InstanceRecord = {
    service: complete.service,
    id: complete.id!,
    address,
    port: complete.port,
    url: complete.url || baseUrl(address, complete.port),
    version: complete.version ?? '',
    zone: complete.zone ?? '',
    health: 'ready',
    startedAt: now,
    heartbeatAt: now,
  };
  return noRegistration(record);
}
