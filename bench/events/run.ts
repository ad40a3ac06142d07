// Events benchmark: the full outbox path (PostgreSQL transaction → OutboxRelay → JetStreamBus →
// subscriber applying each event once through the inbox) beside a raw JetStream publish /
// consume loop, in the same run on the same servers, so the ratio compares across machines.
// Target (event-backbone issue): the full path reaches ≥ 30% of the raw loop's throughput.
import { availableParallelism, cpus, loadavg } from 'node:os';
import { testPostgresUrl } from '@lattice/platform/testing';
import { positive } from '../support/env.ts';
import { type FullResult, openFull } from './full.ts';
import { openRaw, type RawResult } from './raw.ts';
import { runStages } from './stages.ts';
import { Cleanup, type Latency, ms, rate, runSuffix } from './stats.ts';

const TARGET = 0.3;

const settings = {
  count: positive('BENCH_EVENTS_N', 5_000),
  warmup: positive('BENCH_EVENTS_WARMUP', 500),
  inFlight: positive('BENCH_EVENTS_IN_FLIGHT', 256),
  writers: positive('BENCH_EVENTS_WRITERS', 4),
  maxPerTransaction: positive('BENCH_EVENTS_MAX_PER_TX', 10),
  concurrency: positive('BENCH_EVENTS_CONCURRENCY', 32), // the kit's default for consumers
  relayBatchSize: process.env.BENCH_EVENTS_RELAY_BATCH
    ? positive('BENCH_EVENTS_RELAY_BATCH', 100)
    : undefined,
  timeoutMs: positive('BENCH_EVENTS_TIMEOUT_MS', 60_000),
  // The stage breakdown explains the ratio; BENCH_EVENTS_STAGES=0 skips it.
  stages: process.env.BENCH_EVENTS_STAGES !== '0',
  // `batch`: the consumer applies a batch's effects in one statement (ConsumerSpec.handleBatch);
  // `each`: one statement per event, as a consumer with only `handler` does.
  effect: process.env.BENCH_EVENTS_EFFECT === 'each' ? ('each' as const) : ('batch' as const),
};
const servers = process.env.BENCH_NATS_URL || process.env.TEST_NATS_URL || 'nats://127.0.0.1:4222';
const serverUrl = process.env.BENCH_POSTGRES_URL || testPostgresUrl();

const cleanup = new Cleanup();
// Ctrl-C must not leave streams and databases behind either.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: cleaning up\n`);
    void cleanup.run().finally(() => process.exit(130));
  });
}

const out = (line = '') => process.stdout.write(`${line}\n`);
const fixed = (n: number) => n.toFixed(0).padStart(7);
const lat = (l: Latency) => `p50 ${ms(l.p50)}, p99 ${ms(l.p99)}, max ${ms(l.max)}`;

function printRaw(r: RawResult): number {
  const throughput = rate(r.count, r.elapsedMs);
  out(`raw JetStream   ${fixed(throughput)} events/s   ${lat(r.latency)}`);
  out(
    `  ${r.count} events in ${ms(r.elapsedMs)}; publishing (PubAcks) took ${ms(r.publishMs)}; ` +
      `${r.duplicates} duplicates delivered`,
  );
  return throughput;
}

function printFull(r: FullResult): number {
  const throughput = rate(r.count, r.elapsedMs);
  out(`full outbox     ${fixed(throughput)} events/s   ${lat(r.latency)}`);
  out(`  ${r.count} events in ${ms(r.elapsedMs)}; ${r.duplicates} duplicates delivered`);
  out(
    `  writers: ${r.transactions} transactions (${(r.count / r.transactions).toFixed(1)} events each) ` +
      `committed in ${ms(r.writeMs)} = ${fixed(rate(r.count, r.writeMs)).trim()} events/s`,
  );
  out(
    `  relay: ${r.relayBatches} batches (${(r.count / Math.max(1, r.relayBatches)).toFixed(1)} events each), ` +
      `${ms(r.relayBatchMs / Math.max(1, r.relayBatches))} per batch, busy ${ms(r.relayBatchMs)}`,
  );
  out(`  commit → broker acked relay batch: ${lat(r.toPublished)}`);
  out(`  broker acked → effect committed:  ${lat(r.toEffect)}`);
  return throughput;
}

async function main(): Promise<void> {
  const suffix = runSuffix();
  out('# bench:events');
  out(
    `node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown'}), ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  out(
    `N=${settings.count} (warm-up ${settings.warmup} per path, not measured); raw: ${settings.inFlight} publishes in flight; ` +
      `full: ${settings.writers} writers, 1–${settings.maxPerTransaction} events per transaction, ` +
      `relay batch ${settings.relayBatchSize ?? 'default (100)'}, subscriber concurrency ${settings.concurrency}, effect ${settings.effect === 'batch' ? 'per batch (handleBatch)' : 'per event'}`,
  );

  // The raw loop runs before the full path is opened, so nothing else of this process (idle
  // relay, pull consumer heartbeats) competes with it for the two cores.
  const raw = await openRaw({ servers, suffix, ...settings, cleanup });
  out(`NATS ${raw.serverVersion}, run ${suffix}`);
  out();
  await raw.run(settings.warmup, 1);
  const rawThroughput = printRaw(await raw.run(settings.count, 2));

  const full = await openFull({ servers, serverUrl, suffix, ...settings, cleanup });
  out(`PostgreSQL ${full.postgresVersion}`);
  await full.run(settings.warmup, 1);
  const fullThroughput = printFull(await full.run(settings.count, 2));

  const effects = await full.effects();
  const expected = settings.warmup + settings.count;
  if (effects !== expected) {
    throw new Error(`the consumer applied ${effects} effects for ${expected} events`);
  }
  const ratio = fullThroughput / rawThroughput;
  out();
  out(`ratio full/raw throughput: ${(ratio * 100).toFixed(1)}%`);
  out(`target >= ${TARGET * 100}%: ${ratio >= TARGET ? 'met' : 'NOT met'}`);

  if (!settings.stages) return;
  out();
  out(`stages alone (${settings.count} events each, one after the other, not overlapping):`);
  const stages = await runStages(settings.count, {
    servers,
    serverUrl,
    ...settings,
    suffix: `${suffix}s`,
    cleanup,
  });
  for (const stage of stages) {
    out(`  ${stage.label.padEnd(46)} ${fixed(stage.eventsPerSecond)} events/s   ${stage.detail}`);
  }
}

try {
  await main();
} catch (error) {
  process.exitCode = 1;
  process.stderr.write(`bench:events failed: ${(error as Error).stack ?? error}\n`);
} finally {
  await cleanup.run();
}
