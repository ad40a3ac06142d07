import type { FastifyBaseLogger } from 'fastify';
import { createEventBus } from '../bus/create-event-bus.ts';
import type { EmbeddedBus } from '../bus/embedded-bus.ts';
import type { EventBus } from '../bus/event-bus.ts';
import type { BusObserver } from '../bus/observer.ts';
import type { Database } from '../db/database.ts';
import type { Readiness } from '../health.ts';
import { pruneInbox } from '../outbox/inbox.ts';
import { OutboxRelay } from '../outbox/relay.ts';

const INBOX_PRUNE_INTERVAL_MS = 3_600_000;

import type { BaseConfig } from '../service-types.ts';
import type { EventMetrics } from './event-metrics.ts';
import type { ObserverHub } from './observer-hub.ts';
import type { ServiceEventsImpl } from './service-events.ts';

type Cleanup = () => Promise<void> | void;

/**
 * The service's EventBus: the caller's (tests, tools), else a client of the process's embedded
 * bus, else a JetStream connection (distributed). Only what is opened here is closed here.
 */
export async function openEventBus(options: {
  service: string;
  config: Pick<BaseConfig, 'LATTICE_MODE' | 'NATS_URL'>;
  bus?: EventBus;
  embeddedBus?: EmbeddedBus;
  observer: BusObserver;
  observerHub?: ObserverHub;
  logger: FastifyBaseLogger;
  readiness: Readiness;
  cleanups: Cleanup[];
}): Promise<EventBus> {
  options.observerHub?.register(options.service, options.observer);
  let bus = options.bus;
  if (!bus) {
    const opened = await createEventBus(options.config, {
      name: options.service,
      logger: options.logger,
      // A JetStream connection is the service's own; the embedded bus reports through the hub.
      observer: options.observer,
      ...(options.embeddedBus ? { embedded: options.embeddedBus } : {}),
    });
    options.cleanups.push(() => opened.close());
    bus = opened;
  }
  const ready = bus;
  options.readiness.add('bus', () => ready.ping());
  return bus;
}

/**
 * Starts the consumers the service declared and the outbox relay. Registered cleanups run in
 * reverse: the relay stops first, then consumers drain, before the bus and database close.
 */
export async function startEvents(options: {
  events: ServiceEventsImpl;
  bus: EventBus;
  database: Database;
  logger: FastifyBaseLogger;
  cleanups: Cleanup[];
  metrics: EventMetrics;
}): Promise<OutboxRelay> {
  const subscriptions = await options.events.start(options.bus, options.database, options.logger);
  options.cleanups.push(() => Promise.all(subscriptions.map((s) => s.drain())).then(() => {}));
  const relay = new OutboxRelay({
    database: options.database,
    bus: options.bus,
    listen: options.database.listen,
    logger: options.logger,
    observer: options.metrics.relay,
  });
  options.metrics.trackLag(() => relay.lag());
  const bus = options.bus;
  options.metrics.trackPending(
    options.events.groups(),
    bus.pending ? (group) => bus.pending!(group) : undefined,
  );
  // Inbox rows older than the retention (longer than the broker's redelivery horizon and the
  // streams' max age) can no longer meet a duplicate; pruned hourly, from a random offset so
  // instances started together do not prune together.
  const prune = setInterval(
    () => {
      pruneInbox(options.database).catch((error) =>
        options.logger.warn({ err: error }, 'inbox pruning failed'),
      );
    },
    INBOX_PRUNE_INTERVAL_MS + Math.floor(Math.random() * 60_000),
  );
  prune.unref();
  options.cleanups.push(() => clearInterval(prune));
  await relay.start();
  options.cleanups.push(() => relay.stop());
  return relay;
}
