// What the full path and the stage breakdown share: a producing service's database and bus, a
// consuming service's database and bus, a benchmark event type, the writers and the effect.
import { defineContract, type EventContract } from '@lattice/contracts';
import {
  batchingInbox,
  type CloudEvent,
  createEvent,
  type Database,
  DEAD_LETTER_STREAM,
  enqueue,
  inboxMigration,
  JetStreamBus,
  migrate,
  openPostgresDatabase,
  outboxMigration,
  streamName,
} from '@lattice/platform';
import { jetstreamManager } from '@nats-io/jetstream';
import { sql } from 'kysely';
import { Type } from 'typebox';
// Not exported by @lattice/platform; the kit's own tests reach it the same way.
import { dropDatabase } from '../../packages/platform/src/db/open-postgres.ts';
import type { Cleanup } from './stats.ts';

export interface KitOptions {
  servers: string;
  serverUrl: string;
  /** Unique per benchmark run (and per kit), so runs never share a stream or a database. */
  suffix: string;
  writers: number;
  /** Events per writer transaction: uniformly 1..maxPerTransaction. */
  maxPerTransaction: number;
  /** Events the subscriber handles at once (SubscribeOptions.concurrency). */
  concurrency: number;
  /** `batch`: one multi-row statement per inbox batch (handleBatch); `each`: one per event. */
  effect: 'batch' | 'each';
  cleanup: Cleanup;
}

export interface Item {
  run: number;
  seq: number;
}

export interface Kit {
  context: string;
  subject: string;
  contract: EventContract;
  producerDb: Database;
  consumerDb: Database;
  producerBus: JetStreamBus;
  consumerBus: JetStreamBus;
  postgresVersion: string;
  /**
   * `count` events enqueued by `writers` concurrent writers, each in transactions of 1..max
   * events; `committed` is told each batch once its transaction committed. Resolves with the
   * number of transactions.
   */
  write(count: number, run: number, committed: (events: CloudEvent[]) => void): Promise<number>;
  /** The consumer's effect, applied once per event id through the inbox; false for a duplicate. */
  apply(event: CloudEvent<Item>): Promise<boolean>;
  /** Rows in the consumer's effect table, to check every event was applied exactly once. */
  effects(): Promise<number>;
}

const effectMigration = {
  name: '001_bench_effect.sql',
  sql: `CREATE TABLE bench_effect (
  event_id uuid PRIMARY KEY,
  aggregate text NOT NULL,
  seq integer NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
`,
};

async function openDatabase(
  options: KitOptions,
  service: string,
  poolMax: number,
): Promise<Database> {
  const name = `lattice_bench_events_${options.suffix}_${service}`;
  const url = new URL(options.serverUrl);
  url.pathname = `/${name}`;
  // Registered before opening: a failure half-way through creation still drops it.
  options.cleanup.add(`drop database ${name}`, () => dropDatabase(options.serverUrl, name));
  const database = await openPostgresDatabase({
    service: `bench_${service}`,
    serverUrl: options.serverUrl,
    databaseUrl: url.toString(),
    poolMax,
  });
  options.cleanup.add(`close database ${name}`, () => database.close());
  return database;
}

export async function openKit(options: KitOptions): Promise<Kit> {
  const { cleanup } = options;
  const context = `bench${options.suffix}`;
  const contract = defineContract({
    type: `lattice.${context}.item.recorded.v1`,
    schema: Type.Object({ run: Type.Integer(), seq: Type.Integer() }),
    producer: 'bench',
    consumers: ['bench'],
    description: 'Benchmark event (bench/events), never published outside a benchmark run.',
    examples: [{ run: 1, seq: 0 }],
  });
  // Passed to the buses rather than registered, so the process-wide registry stays untouched.
  const contracts = (type: string) => (type === contract.type ? contract : undefined);

  // Writers and the relay share the producer's pool; the subscriber needs one connection per
  // event in flight.
  const producerDb = await openDatabase(options, 'outbox', options.writers + 2);
  const consumerDb = await openDatabase(options, 'inbox', options.concurrency + 2);
  await migrate(producerDb, [outboxMigration]);
  await migrate(consumerDb, [inboxMigration, effectMigration]);
  const version = await sql<{
    server_version: string;
  }>`SHOW server_version`.execute(producerDb.db);

  const admin = await JetStreamBus.connect({ servers: options.servers, name: 'bench-admin' });
  cleanup.add('close admin connection', () => admin.close());
  const jsm = await jetstreamManager(admin.connection);
  cleanup.add(`delete stream ${streamName(context)}`, async () => {
    await jsm.streams.delete(streamName(context)).catch(() => {});
    // DEADLETTER is shared with other runs and tests: purge only this run's letters.
    await jsm.streams
      .purge(DEAD_LETTER_STREAM, { filter: `deadletter.*.${context}.>` })
      .catch(() => {});
  });

  // Two connections, as the producing and the consuming service would each have their own.
  const producerBus = await JetStreamBus.connect({
    servers: options.servers,
    name: 'bench-producer',
    contracts,
  });
  cleanup.add('close producer bus', () => producerBus.close());
  const consumerBus = await JetStreamBus.connect({
    servers: options.servers,
    name: 'bench-consumer',
    contracts,
  });
  cleanup.add('close consumer bus', () => consumerBus.close());

  return {
    context,
    subject: `${context}.item.recorded.v1`,
    contract,
    producerDb,
    consumerDb,
    producerBus,
    consumerBus,
    postgresVersion: version.rows[0]?.server_version ?? 'unknown',
    async write(count, run, committed) {
      let remaining = count;
      let seq = 0;
      let transactions = 0;
      const writer = async (writerIndex: number) => {
        while (remaining > 0) {
          const size = Math.min(
            remaining,
            1 + Math.floor(Math.random() * options.maxPerTransaction),
          );
          remaining -= size;
          // Each writer owns its aggregates, so writes of one aggregate never race.
          const events = Array.from({ length: size }, () => {
            const item = seq++;
            return createEvent<Item>({
              source: 'bench',
              type: contract.type,
              subject: `writer-${writerIndex}-${item % 16}`,
              tenantId: 'bench',
              data: { run, seq: item },
            });
          });
          await producerDb.transaction((trx) => enqueue(trx, events));
          committed(events);
          transactions += 1;
        }
      };
      await Promise.all(Array.from({ length: options.writers }, (_, i) => writer(i)));
      return transactions;
    },
    // As a service's consumer does (context.events.consume): the batching inbox.
    apply: batchingInbox(
      consumerDb,
      'bench',
      async (event: CloudEvent<Item>, trx) => {
        await sql`INSERT INTO bench_effect (event_id, aggregate, seq)
          VALUES (${event.id}, ${event.subject}, ${event.data.seq})`.execute(trx);
      },
      options.effect === 'batch'
        ? {
            effectMany: async (events: CloudEvent<Item>[], trx) => {
              await sql`INSERT INTO bench_effect (event_id, aggregate, seq)
                SELECT * FROM unnest(${events.map((e) => e.id)}::uuid[],
                  ${events.map((e) => e.subject ?? '')}::text[],
                  ${events.map((e) => e.data.seq)}::int[])`.execute(trx);
            },
          }
        : {},
    ),
    async effects() {
      const rows = await sql<{
        n: number;
      }>`SELECT count(*)::int AS n FROM bench_effect`.execute(consumerDb.db);
      return rows.rows[0]?.n ?? 0;
    },
  };
}
