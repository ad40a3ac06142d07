// Orders benchmark (`npm run bench:orders`): placed → confirmed throughput and latency of the
// whole saga in distributed mode (gateway → orders → outbox → JetStream → payments → sandbox
// provider → outbox → JetStream → orders), with `pgbench -N` on the same PostgreSQL in the same
// run as the machine's ceiling for small write transactions.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { natsServerMissing, startPrivateNats, testPostgresUrl } from '@lattice/platform/testing';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { Pool } from 'undici';
import { dropDatabase } from '../../packages/platform/src/db/open-postgres.ts';
import { firstSku, register } from '../../tests/e2e/support/commerce.ts';
import { startDistributed, until } from '../../tests/e2e/support/distributed-platform.ts';
import { positive } from '../support/env.ts';
import { cpuSnapshot, cpuSpent } from './cpu-split.ts';
import { describeWaits, sampleWaits } from './pg-waits.ts';
import { pgbench } from './pgbench.ts';

const settings = {
  orders: positive('BENCH_ORDERS_N', 2_000),
  // V8 still compiles the services' hot code after a few hundred orders (its compiler threads
  // took ~5% of the machine in a run measured after 200): the rounds measure the steady state.
  warmup: positive('BENCH_ORDERS_WARMUP', 1_000),
  // The machine's speed swings by tens of percent from one ten-second stretch to the next:
  // the headline is the median round, and every round is printed.
  rounds: positive('BENCH_ORDERS_ROUNDS', 3),
  concurrency: positive('BENCH_ORDERS_CONCURRENCY', 64),
  customers: positive('BENCH_ORDERS_CUSTOMERS', 8),
  timeoutMs: positive('BENCH_ORDERS_TIMEOUT_MS', 180_000),
  pgbenchSeconds: positive('BENCH_ORDERS_PGBENCH_SECONDS', 10),
  pgbenchClients: positive('BENCH_ORDERS_PGBENCH_CLIENTS', 8),
  portOffset: positive('BENCH_ORDERS_PORT_OFFSET', 12_000),
};
// The bench's own NATS unless BENCH_NATS_URL names one (then its streams must hold nothing
// unconsumed from an earlier run).
const privateNats =
  process.env.BENCH_NATS_URL || natsServerMissing() ? undefined : await startPrivateNats();
const natsUrl =
  process.env.BENCH_NATS_URL ||
  privateNats?.url ||
  process.env.TEST_NATS_URL ||
  'nats://127.0.0.1:4222';
const postgresUrl = process.env.BENCH_POSTGRES_URL || testPostgresUrl();
const out = (line = '') => process.stdout.write(`${line}\n`);
const ms = (n: number) => `${n.toFixed(0)} ms`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

out(
  `node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model.trim()}), load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
out(
  `${settings.rounds} rounds of N=${settings.orders} orders (warm-up ${settings.warmup}), ${settings.concurrency} in flight, ${settings.customers} customers, pm_card_ok`,
);
out(privateNats ? `NATS: the bench's own nats-server at ${natsUrl}` : `NATS: ${natsUrl}`);

// The bench's own databases, fresh each run: work left by an earlier run (payments to
// reconcile, unsent events) would otherwise run alongside this one, and the bench never
// touches the databases `npm start` uses.
const DATABASE_PREFIX = 'lattice_bench_orders_';
async function dropBenchDatabases(): Promise<void> {
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  const { rows } = await admin
    .query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [
      DATABASE_PREFIX,
    ])
    .finally(() => admin.end());
  for (const { datname } of rows) await dropDatabase(postgresUrl, datname);
}
await dropBenchDatabases();

const platform = await startDistributed({
  portOffset: settings.portOffset,
  // The load comes from one address here, unlike real customers: no per-IP bucket.
  env: {
    POSTGRES_URL: postgresUrl,
    DATABASE_PREFIX,
    NATS_URL: natsUrl,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
    GATEWAY_RATE_LIMIT_IP: 'off',
  },
});
const nc = await connect({ servers: natsUrl, name: 'bench-orders' });
const cleanup = async () => {
  await nc.close().catch(() => {});
  await platform.stop();
  await dropBenchDatabases();
  await privateNats?.stop();
};
process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));

try {
  const gateway = platform.urls.gateway!;
  const customers = await Promise.all(
    Array.from({ length: settings.customers }, () => register(gateway)),
  );
  const sku = await firstSku(gateway, customers[0]!);

  // Confirmations as they happen: a plain subscription on the subject the relay publishes to.
  const confirmedAt = new Map<string, number>();
  const cancelled = new Set<string>();
  const watch = (subject: string, onEvent: (orderId: string) => void) => {
    const sub = nc.subscribe(subject);
    void (async () => {
      for await (const message of sub) {
        const event = message.json<{ data: { orderId: string } }>();
        onEvent(event.data.orderId);
      }
    })();
    return sub;
  };
  const subs = [
    watch('orders.order.confirmed.v1', (id) => {
      if (!confirmedAt.has(id)) confirmedAt.set(id, performance.now());
    }),
    watch('orders.order.cancelled.v1', (id) => cancelled.add(id)),
  ];

  const pool = new Pool(gateway, { connections: settings.concurrency });
  const sentAt = new Map<string, number>();
  const refused = new Map<number, number>();
  async function place(count: number): Promise<string[]> {
    const ids: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: settings.concurrency }, async () => {
        while (next < count) {
          const i = next++;
          const customer = customers[i % customers.length]!;
          const sent = performance.now();
          const response = await pool.request({
            method: 'POST',
            path: '/api/v1/orders',
            headers: {
              authorization: `Bearer ${customer.token}`,
              'content-type': 'application/json',
              'idempotency-key': randomUUID(),
            },
            body: JSON.stringify({ items: [{ sku, quantity: 1 }], paymentMethod: 'pm_card_ok' }),
          });
          const body = (await response.body.json()) as { id?: string };
          if (response.statusCode !== 201 || !body.id) {
            refused.set(response.statusCode, (refused.get(response.statusCode) ?? 0) + 1);
            continue;
          }
          sentAt.set(body.id, sent);
          ids.push(body.id);
        }
      }),
    );
    return ids;
  }
  /** Waits until every order is confirmed or cancelled; false when the timeout came first. */
  async function settle(ids: string[]): Promise<boolean> {
    const started = performance.now();
    while (ids.some((id) => !confirmedAt.has(id) && !cancelled.has(id))) {
      if (performance.now() - started > settings.timeoutMs) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  interface Round {
    ids: string[];
    /** Every order confirmed or cancelled before the timeout. */
    settled: boolean;
    placedIn: number;
    /** First order sent to last order confirmed. */
    elapsedMs: number;
    /** Confirmed when the round ended: a later confirmation does not count for it. */
    confirmed: number;
    throughput: number;
    latencies: number[];
  }
  function measureRound(
    roundIds: string[],
    settled: boolean,
    firstSent: number,
    placedIn: number,
  ): Round {
    const done = roundIds.filter((id) => confirmedAt.has(id));
    const lastConfirmed = Math.max(firstSent, ...done.map((id) => confirmedAt.get(id)!));
    const elapsedMs = lastConfirmed - firstSent;
    return {
      ids: roundIds,
      settled,
      placedIn,
      elapsedMs,
      confirmed: done.length,
      throughput: done.length === 0 ? 0 : (done.length / elapsedMs) * 1000,
      latencies: done.map((id) => confirmedAt.get(id)! - sentAt.get(id)!).sort((a, b) => a - b),
    };
  }

  // Payments calls the provider from its first moment (redelivered events, retries): one that
  // found the sandbox still starting has the circuit open, and every order would be cancelled
  // until it closes. The run starts with the circuit closed.
  await until(
    'the payment provider circuit closed',
    async () => {
      const metrics = await fetch(`${platform.urls.payments}/metrics`)
        .then((r) => r.text())
        .catch(() => '');
      return /^payments_provider_circuit_state\{[^}]*\} 0$/m.test(metrics);
    },
    60_000,
  );
  await settle(await place(settings.warmup));
  const waitSampling = await sampleWaits(postgresUrl, DATABASE_PREFIX);
  const cpuBefore = cpuSnapshot(platform.catalog);
  const rounds: Round[] = [];
  for (let round = 0; round < settings.rounds; round += 1) {
    const firstSent = performance.now();
    const roundIds = await place(settings.orders);
    const placedIn = performance.now() - firstSent;
    const settled = await settle(roundIds);
    rounds.push(measureRound(roundIds, settled, firstSent, placedIn));
    // The next round must not start alongside this one's stragglers.
    if (!settled) break;
  }
  const cpu = cpuSpent(cpuBefore, cpuSnapshot(platform.catalog));
  const waits = await waitSampling.stop();
  for (const sub of subs) sub.unsubscribe();
  await pool.close();
  const ids = rounds.flatMap((round) => round.ids);
  const confirmed = ids.filter((id) => confirmedAt.has(id));
  // Zero lost: every order of every round confirmed within its round (a round that timed out
  // has some that were not).
  const noneLost = rounds.every((round) => round.confirmed === round.ids.length);
  const elapsed = rounds.reduce((sum, round) => sum + round.elapsedMs, 0);

  // The orders' own record, not the events: nothing left pending, nothing lost.
  const ordersDb = new pg.Client({
    connectionString: Object.assign(new URL(postgresUrl), {
      pathname: `/${DATABASE_PREFIX}orders`,
    }).toString(),
  });
  await ordersDb.connect();
  const { rows } = await ordersDb.query<{ status: string; n: number }>(
    'SELECT status, count(*)::int AS n FROM orders.order_list WHERE order_id = ANY($1::uuid[]) GROUP BY status',
    [ids],
  );
  await ordersDb.end();
  const byStatus = Object.fromEntries(rows.map((r) => [r.status, r.n]));

  await cleanup();
  const ceiling = pgbench(
    postgresUrl,
    'lattice_bench_pgbench',
    settings.pgbenchSeconds,
    settings.pgbenchClients,
  );

  out();
  for (const [index, round] of rounds.entries()) {
    out(
      `round ${index + 1}: placed ${round.ids.length} in ${ms(round.placedIn)} (${((round.ids.length / round.placedIn) * 1000).toFixed(0)} placed/s), confirmed ${round.confirmed}${round.settled ? '' : ` (not settled within ${ms(settings.timeoutMs)})`}: ${round.throughput.toFixed(0)} orders/s, p50 ${ms(percentile(round.latencies, 50))}, p99 ${ms(percentile(round.latencies, 99))}`,
    );
  }
  // Of an even number of rounds, the lower of the middle two.
  const median = [...rounds].sort((a, b) => a.throughput - b.throughput)[
    Math.floor((rounds.length - 1) / 2)
  ] as Round;
  const throughput = median.throughput;
  out(
    `refused: ${JSON.stringify(Object.fromEntries(refused))}; confirmed ${confirmed.length}/${ids.length}, cancelled ${ids.filter((id) => cancelled.has(id)).length}; in the orders database: ${JSON.stringify(byStatus)}`,
  );
  out(
    `placed → confirmed, median of ${rounds.length} rounds of ${settings.orders}: ${throughput.toFixed(0)} orders/s, latency p50 ${ms(percentile(median.latencies, 50))}, p99 ${ms(percentile(median.latencies, 99))}, max ${ms(median.latencies.at(-1) ?? Number.NaN)}`,
  );
  out(
    `pgbench -N (${ceiling.clients} clients, ${ceiling.seconds} s, same PostgreSQL): ${ceiling.tps.toFixed(0)} tps`,
  );
  out(`ratio orders/s to pgbench tps: ${((throughput / ceiling.tps) * 100).toFixed(1)}%`);
  if (cpu.length > 0) {
    const total = cpu.reduce((sum, spent) => sum + spent.seconds, 0);
    const perOrder = (n: number | undefined, digits: number) =>
      (n === undefined ? '-' : (n / confirmed.length).toFixed(digits)).padStart(6);
    out(
      `CPU while placing and confirming (every round): ${total.toFixed(1)} s in ${(elapsed / 1000).toFixed(1)} s on ${availableParallelism()} cores, ${((total * 1000) / confirmed.length).toFixed(1)} ms per order; per order, each process's read and write system calls and context switches:`,
    );
    for (const spent of cpu.filter((s) => s.seconds > 0 || (s.writes ?? 0) > 0)) {
      out(
        `  ${spent.name.padEnd(16)} ${spent.seconds.toFixed(1).padStart(6)} s  ${((spent.seconds / total) * 100).toFixed(0).padStart(3)}%  ${((spent.seconds * 1000) / confirmed.length).toFixed(1).padStart(5)} ms/order  reads ${perOrder(spent.reads, 2)}  writes ${perOrder(spent.writes, 2)}  switches ${perOrder(spent.switches, 1)}`,
      );
    }
  }
  out(`PostgreSQL sessions of the bench's databases, what they wait on: ${describeWaits(waits)}`);
  out(
    `target >= 300 orders/s (median round) with zero lost (every round): ${throughput >= 300 && noneLost ? 'met' : 'NOT met'}`,
  );
  if (refused.size > 0 || !noneLost) {
    // Why, in the services' words: failures only, unless BENCH_LOG_LEVEL=warn adds warnings
    // (retries, an unreachable upstream, a circuit opening).
    const errors = new Map<string, number>();
    for (const line of platform.output().split('\n')) {
      const message = /"msg":"([^"]*)"/.exec(line)?.[1];
      if (message && /"level":(40|50|60)/.test(line))
        errors.set(message, (errors.get(message) ?? 0) + 1);
    }
    for (const [message, count] of [...errors].sort((a, b) => b[1] - a[1]).slice(0, 5)) {
      out(`  logged ${count}x: ${message}`);
    }
    // A service that died (and was restarted) during the run, in the supervisor's words.
    for (const line of platform.output().split('\n')) {
      if (/^\[supervisor\].*(exited|restart)/.test(line) && !/SIGTERM|stopping/.test(line)) {
        out(`  ${line}`);
      }
    }
    if (process.env.BENCH_OUTPUT_FILE) {
      writeFileSync(process.env.BENCH_OUTPUT_FILE, platform.output());
      out(`  the services' whole output: ${process.env.BENCH_OUTPUT_FILE}`);
    }
  }
  if (!noneLost || (byStatus.pending ?? 0) > 0) process.exitCode = 1;
} catch (error) {
  await cleanup();
  throw error;
}
