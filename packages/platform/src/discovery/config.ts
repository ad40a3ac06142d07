import { Type } from 'typebox';
import { DEFAULT_DNS_INTERVAL_MS } from './dns-discovery.ts';
import { DEFAULT_DNS_PORT, DEFAULT_DNS_TEMPLATE } from './dns-targets.ts';
import { DEFAULT_BUCKET, DEFAULT_HEARTBEAT_MS, DEFAULT_TTL_MS } from './nats-kv-discovery.ts';

/**
 * The discovery keys, to be spread into the base config schema
 * (`...discoveryConfigSchema.properties`). `SERVICE_URLS` (static) and `NATS_URL` (nats-kv)
 * are base keys already.
 */
export const discoveryConfigSchema = Type.Object({
  DISCOVERY_MODE: Type.Union(
    [Type.Literal('static'), Type.Literal('nats-kv'), Type.Literal('dns')],
    {
      default: 'static',
      description:
        'static: SERVICE_URLS; nats-kv: instances register in a NATS KV bucket with heartbeats; dns: one name per service (Kubernetes)',
    },
  ),
  DISCOVERY_BUCKET: Type.String({
    pattern: '^[-\\w]+$',
    default: DEFAULT_BUCKET,
    description: 'nats-kv: the KV bucket instances register in',
  }),
  DISCOVERY_TTL_MS: Type.Integer({
    minimum: 1_000,
    default: DEFAULT_TTL_MS,
    description:
      "nats-kv: an instance not heard from for this long gets no traffic; also the bucket's max_age",
  }),
  DISCOVERY_HEARTBEAT_MS: Type.Integer({
    minimum: 100,
    default: DEFAULT_HEARTBEAT_MS,
    description: 'nats-kv: how often an instance re-announces itself (well under DISCOVERY_TTL_MS)',
  }),
  DISCOVERY_DNS_TEMPLATE: Type.String({
    minLength: 1,
    default: DEFAULT_DNS_TEMPLATE,
    description:
      'dns: host[:port] of a service; {service}, {namespace} and {port} are filled in (e.g. {service}.{namespace}.svc.cluster.local)',
  }),
  DISCOVERY_DNS_NAMESPACE: Type.String({
    default: 'default',
    description: 'dns: the {namespace} of DISCOVERY_DNS_TEMPLATE',
  }),
  DISCOVERY_DNS_PORT: Type.Integer({
    minimum: 1,
    maximum: 65535,
    default: DEFAULT_DNS_PORT,
    description: 'dns: port of every service unless the template or DISCOVERY_DNS_SERVICES says',
  }),
  DISCOVERY_DNS_SERVICES: Type.String({
    default: '',
    description:
      'dns: services resolved from the start, comma-separated, each optionally name=host:port; other names are resolved when first asked for',
  }),
  DISCOVERY_DNS_INTERVAL_MS: Type.Integer({
    minimum: 100,
    default: DEFAULT_DNS_INTERVAL_MS,
    description: 'dns: how often every name is resolved again',
  }),
  INSTANCE_ID: Type.String({
    pattern: '^[A-Za-z0-9_-]*$',
    default: '',
    description: 'nats-kv: this instance id in the registry; unset: host-pid-random',
  }),
  INSTANCE_ADDRESS: Type.String({
    default: '',
    description:
      'nats-kv: address other processes reach this instance at (the pod IP); unset: HOST, or the first external IPv4 when HOST is a wildcard',
  }),
  INSTANCE_ZONE: Type.String({
    default: '',
    description: 'Failure domain of this instance (e.g. availability zone), shown to routers',
  }),
});
