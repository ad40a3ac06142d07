import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { CloudEvent, EventBus, Subscription } from '../../src/bus/event-bus.ts';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrations.ts';
import { openPostgresDatabase } from '../../src/db/open-postgres.ts';
import { type Listen, pgliteListen, postgresListen } from '../../src/outbox/listen.ts';
import { outboxMigrations } from '../../src/outbox/migrations.ts';
import { OutboxRelay, type OutboxRelayOptions } from '../../src/outbox/relay.ts';
import { type DatabaseKind, testPostgresUrl } from '../../src/testing/index.ts';
import { freshDatabase, sharedPGlite } from '../support.ts';

/**
 * Stands in for the broker: `publish` stores the batch (after an optional delay, as a round
 * trip would take) and resolves, which is the ack; told to, it fails instead. The real buses
 * are tested against this same port elsewhere.
 */
export class RecordingBus implements EventBus {
  /** Every event stored, in the order the broker stored them, duplicates included. */
  readonly stored: CloudEvent[] = [];
  /** Publish calls that will fail from now on. */
  failures = 0;
  /** Upper bound of a random delay before each ack. */
  maxDelayMs = 0;
  /** Runs after the batch is stored, before the ack. */
  onPublish: ((events: CloudEvent[]) => void | Promise<void>) | undefined;

  async publish(events: CloudEvent[]): Promise<void> {
    if (this.maxDelayMs > 0) await delay(Math.random() * this.maxDelayMs);
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('broker unavailable');
    }
    this.stored.push(...events);
    await this.onPublish?.(events);
  }

  /** What consumers would see: the broker drops a duplicate id (Nats-Msg-Id). */
  deduplicated(): CloudEvent[] {
    const seen = new Set<string>();
    return this.stored.filter((event) => !seen.has(event.id) && seen.add(event.id));
  }

  ids(): string[] {
    return this.stored.map((event) => event.id);
  }

  async subscribe(): Promise<Subscription> {
    throw new Error('not used by the outbox tests');
  }

  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}

export function makeEvent(aggregate: string, data: unknown = {}): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/lattice/outbox-test',
    type: 'lattice.test.thing.happened.v1',
    time: new Date().toISOString(),
    subject: aggregate,
    tenantid: 'tenant-1',
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    datacontenttype: 'application/json',
    data,
  };
}

export interface OutboxDatabase {
  database: Database;
  /** The LISTEN helper for this database. */
  listen: Listen;
  /** Another instance of the same service on the same data (a second replica). */
  replica(): Promise<Database>;
  /** A relay with test-friendly timings, on `database` unless told otherwise. */
  makeRelay(options: Partial<OutboxRelayOptions> & { bus: EventBus }): OutboxRelay;
}

function databaseUrl(name: string): string {
  const url = new URL(testPostgresUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * A fresh database for `service` with the outbox and inbox tables. When the test ends, its
 * relays stop and replicas close before the database is dropped: a relay still polling a
 * dropped database would fail into the next test.
 */
export async function outboxDatabase(
  t: Pick<TestContext, 'after'>,
  kind: DatabaseKind,
  service: string,
): Promise<OutboxDatabase> {
  let drop: () => Promise<void> = async () => {};
  const database = await freshDatabase(kind, service, (cleanup) => {
    drop = cleanup;
  });
  const relays: OutboxRelay[] = [];
  const replicas: Database[] = [];
  t.after(async () => {
    await Promise.all(relays.map((relay) => relay.stop()));
    await Promise.all(replicas.map((replica) => replica.close()));
    await drop();
  });
  await migrate(database, outboxMigrations);
  const makeRelay = (options: Partial<OutboxRelayOptions> & { bus: EventBus }) => {
    const created = new OutboxRelay({
      database,
      pollIntervalMs: 20,
      backoff: { initialMs: 10, maxMs: 50 },
      ...options,
    });
    relays.push(created);
    return created;
  };
  if (kind === 'pglite') {
    const host = await sharedPGlite();
    return { database, listen: pgliteListen(host), replica: async () => database, makeRelay };
  }
  const url = databaseUrl(database.databaseName!);
  return {
    database,
    listen: postgresListen(url),
    replica: async () => {
      const replica = await openPostgresDatabase({
        service,
        serverUrl: testPostgresUrl(),
        databaseUrl: url,
        poolMax: 3,
        createDatabase: false,
      });
      replicas.push(replica);
      return replica;
    },
    makeRelay,
  };
}

/** Polls `check` until it holds; fails with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(5);
  }
}
