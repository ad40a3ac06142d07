export type {
  Discovery,
  DiscoveryChange,
  DiscoveryListener,
  InstanceHealth,
  InstanceRecord,
} from '../discovery.ts';
export { StaticDiscovery } from '../discovery.ts';
export { discoveryConfigSchema } from './config.ts';
export {
  type CreateDiscoveryOptions,
  createDiscovery,
  type DiscoveryConfig,
  registerInstance,
} from './create-discovery.ts';
export {
  DEFAULT_DNS_INTERVAL_MS,
  DnsDiscovery,
  type DnsDiscoveryOptions,
  systemResolve,
} from './dns-discovery.ts';
export { type DnsTarget, dnsTarget, parseDnsServices } from './dns-targets.ts';
export { advertisedAddress, newInstanceId } from './instance-record.ts';
export type { DiscoveryLogger } from './logger.ts';
export {
  DEFAULT_BUCKET,
  DEFAULT_HEARTBEAT_MS,
  DEFAULT_TTL_MS,
  NatsKvDiscovery,
  type NatsKvDiscoveryOptions,
} from './nats-kv-discovery.ts';
export type { InstanceInfo, Registration } from './registration.ts';
