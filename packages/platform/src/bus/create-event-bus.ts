import { EmbeddedBus, type EmbeddedClient } from './embedded-bus.ts';
import type { EventBus } from './event-bus.ts';
import { JetStreamBus } from './jetstream-bus.ts';
import type { BusLogger, BusObserver } from './observer.ts';
import type { ContractLookup } from './schema-guard.ts';

export interface EventBusConfig {
  LATTICE_MODE: 'embedded' | 'distributed';
  NATS_URL: string;
}

export interface CreateEventBusOptions {
  /** Embedded mode: the bus every service of the process shares (default: `sharedEmbeddedBus()`). */
  embedded?: EmbeddedBus;
  /** Distributed mode: the connection name, e.g. the service name. */
  name?: string;
  observer?: BusObserver;
  logger?: BusLogger;
  contracts?: ContractLookup;
}

let shared: EmbeddedBus | undefined;

/**
 * The process-wide embedded bus: all services started in one process must publish and consume
 * on the same instance, or events would not cross from one service to another.
 */
export function sharedEmbeddedBus(): EmbeddedBus {
  if (!shared || shared.closed) shared = new EmbeddedBus();
  return shared;
}

/**
 * The EventBus for a service: in embedded mode a client of the shared in-process bus (its
 * close() drains only this service's subscriptions); in distributed mode a JetStream
 * connection to NATS_URL.
 */
export async function createEventBus(
  config: EventBusConfig,
  options: CreateEventBusOptions = {},
): Promise<EventBus & { terminate(): void | Promise<void> }> {
  if (config.LATTICE_MODE === 'embedded') {
    const client: EmbeddedClient = (options.embedded ?? sharedEmbeddedBus()).connect();
    return client;
  }
  return JetStreamBus.connect({
    servers: config.NATS_URL,
    ...(options.name ? { name: options.name } : {}),
    ...(options.observer ? { observer: options.observer } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.contracts ? { contracts: options.contracts } : {}),
  });
}
