import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BusObserver } from '../bus/observer.ts';
import type { OutboxLag, OutboxRelayObserver } from '../outbox/relay.ts';

export interface EventMetrics {
  /** For the service's bus (and, in embedded mode, the part of the shared bus that is its own). */
  bus: BusObserver;
  relay: OutboxRelayObserver;
  /** Reads the outbox lag at each scrape. */
  trackLag(lag: () => Promise<OutboxLag>): void;
  /** Reads each consumer group's pending count at each scrape, where the broker keeps one. */
  trackPending(groups: string[], pending: ((group: string) => Promise<number>) | undefined): void;
}

/**
 * Messaging metrics of one service. Labels are event types and consumer groups: both come
 * from the contracts and the code, never from data, so their number stays bounded.
 */
export function eventMetrics(registry: Registry): EventMetrics {
  const registers = [registry];
  const published = new Counter({
    name: 'lattice_events_published_total',
    help: 'Events stored by the broker, by type',
    labelNames: ['type'],
    registers,
  });
  const consumed = new Counter({
    name: 'lattice_events_consumed_total',
    help: 'Events handled and acknowledged, by consumer group and type',
    labelNames: ['group', 'type'],
    registers,
  });
  const consumeSeconds = new Histogram({
    name: 'lattice_events_consume_duration_seconds',
    help: 'Time a handler took, by consumer group',
    labelNames: ['group'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    registers,
  });
  const redelivered = new Counter({
    name: 'lattice_events_redelivered_total',
    help: 'Deliveries after the first, by consumer group and type',
    labelNames: ['group', 'type'],
    registers,
  });
  const failed = new Counter({
    name: 'lattice_events_handler_failures_total',
    help: 'Handler failures (each is retried or dead-lettered), by consumer group and type',
    labelNames: ['group', 'type'],
    registers,
  });
  const deadLettered = new Counter({
    name: 'lattice_events_dead_lettered_total',
    help: 'Events given up on and sent to the dead-letter stream, by consumer group and type',
    labelNames: ['group', 'type'],
    registers,
  });
  const relayFailures = new Counter({
    name: 'lattice_outbox_relay_failures_total',
    help: 'Outbox relay rounds that failed (publish or database) and will be retried',
    registers,
  });
  let lag: (() => Promise<OutboxLag>) | undefined;
  let lastLag: OutboxLag = { unsent: 0, oldestUnsentAgeMs: 0 };
  const readLag = async () => {
    if (lag) lastLag = await lag().catch(() => lastLag);
    return lastLag;
  };
  new Gauge({
    name: 'lattice_outbox_unsent_events',
    help: 'Events written to the outbox and not yet acknowledged by the broker',
    registers,
    async collect() {
      this.set((await readLag()).unsent);
    },
  });
  new Gauge({
    name: 'lattice_outbox_oldest_unsent_age_seconds',
    help: 'Age of the oldest unsent outbox event (outbox lag)',
    registers,
    async collect() {
      this.set(lastLag.oldestUnsentAgeMs / 1000);
    },
  });

  let pendingOf: { groups: string[]; read: (group: string) => Promise<number> } | undefined;
  new Gauge({
    name: 'lattice_events_consumer_pending',
    help: 'Events stored for a consumer group and not yet acknowledged (distributed mode)',
    labelNames: ['group'],
    registers,
    async collect() {
      if (!pendingOf) return;
      const { groups, read } = pendingOf;
      await Promise.all(
        groups.map(async (group) => {
          // A broker that cannot answer now leaves the last value rather than failing the scrape.
          const value = await read(group).catch(() => undefined);
          if (value !== undefined) this.set({ group }, value);
        }),
      );
    },
  });

  return {
    bus: {
      published: (type) => published.inc({ type }),
      consumed: (type, group, ms) => {
        consumed.inc({ group, type });
        consumeSeconds.observe({ group }, ms / 1000);
      },
      redelivered: (type, group) => redelivered.inc({ group, type }),
      failed: (type, group) => failed.inc({ group, type }),
      deadLettered: (type, group) => deadLettered.inc({ group, type }),
    },
    relay: { failed: () => relayFailures.inc() },
    trackLag: (read) => {
      lag = read;
    },
    trackPending: (groups, read) => {
      if (read && groups.length > 0) pendingOf = { groups, read };
    },
  };
}
