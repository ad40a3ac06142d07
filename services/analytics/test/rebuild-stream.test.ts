// Distributed mode: events published on real NATS JetStream reach the service (PostgreSQL)
// through its durable consumers, and a rebuild replays the stored streams. The streams are the
// platform's own (AUTH, USERS, TODOS, ORDERS, PAYMENTS) and may hold thousands of other tests'
// events (benchmarks, e2e runs): the consumer group gets a fresh prefix and its durable
// consumers are created up front to start at new events (a new group would otherwise work
// through every stored event first), the rebuild reads everything stored, and results are
// compared on this test's tenants only.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type CloudEvent,
  contextOf,
  JetStreamBus,
  streamName,
  subjectOfType,
} from '@lattice/platform';
import {
  buildTestService,
  needs,
  type TestTokenIssuer,
  testPostgresUrl,
  testTokenIssuer,
} from '@lattice/platform/testing';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  type JetStreamManager,
  jetstreamManager,
} from '@nats-io/jetstream';
import { sql } from 'kysely';
import { service } from '../src/app.ts';
import type { AnalyticsDb } from '../src/data/schema.ts';
import { CONSUMED_TYPES } from '../src/events/event-types.ts';
import { rebuildReadModels } from '../src/rebuild/rebuild-read-models.ts';
import {
  consumedStreams,
  openStreamSource,
  PartialStreamError,
} from '../src/rebuild/stream-source.ts';
import { scenario, shuffled } from './support/scenario.ts';
import { readModelRows } from './support/snapshot.ts';

const natsUrl = process.env.TEST_NATS_URL || 'nats://127.0.0.1:4222';
const root = fileURLToPath(new URL('../../../', import.meta.url));
const skip = needs('nats') || needs('postgres');
/**
 * The group's durable consumers as the kit would create them (same filters), but delivering
 * only events published from now on. The kit finds them and keeps where they start.
 */
async function startGroupAtNewEvents(jsm: JetStreamManager, group: string, version: string) {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const multipleFilters = major > 2 || (major === 2 && minor >= 10);
  const byContext = Map.groupBy(CONSUMED_TYPES.map(subjectOfType), contextOf);
  for (const [context, subjects] of byContext) {
    const filter =
      subjects.length === 1 || !multipleFilters
        ? { filter_subject: subjects.length === 1 ? subjects[0] : undefined }
        : { filter_subjects: subjects };
    try {
      await jsm.consumers.add(streamName(context), {
        durable_name: group,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.New,
        ...filter,
      });
    } catch (error) {
      // No stream yet: the kit creates it, empty, and the group then starts at its beginning.
      if (!(error instanceof JetStreamApiError)) throw error;
    }
  }
}

const SIZE = { registrations: 10, orders: 16, declined: 4, refunded: 3, todos: 10, completed: 6 };

describe('analytics on NATS JetStream and PostgreSQL', { skip }, () => {
  const prefix = `t${randomBytes(4).toString('hex')}-`;
  const group = `${prefix}analytics_read-models`;
  const cleanups: Array<() => unknown> = [];
  let bus: JetStreamBus;
  let issuer: TestTokenIssuer;
  let svc: Awaited<ReturnType<typeof buildTestService>>;
  let databaseUrl: string;
  const tenants = [randomUUID(), randomUUID()];
  const published: CloudEvent[] = [];

  before(async () => {
    issuer = await testTokenIssuer();
    cleanups.push(() => issuer.close());
    bus = await JetStreamBus.connect({ servers: natsUrl, name: 'analytics-test' });
    cleanups.push(() => bus.close());
    cleanups.push(async () => {
      // The test's durable consumers, one per stream.
      const jsm = await jetstreamManager(bus.connection);
      for (const stream of consumedStreams()) {
        await jsm.consumers.delete(stream, group).catch(() => {});
      }
    });
    await startGroupAtNewEvents(
      await jetstreamManager(bus.connection),
      group,
      bus.connection.info?.version ?? '',
    );
    const collector = { after: (fn: unknown) => void cleanups.push(fn as () => unknown) };
    svc = await buildTestService(collector as never, service, {
      db: 'postgres',
      bus,
      env: { AUTH_JWKS_URL: issuer.jwksUrl, EVENT_GROUP_PREFIX: prefix },
    });
    const url = new URL(testPostgresUrl());
    url.pathname = `/${svc.testDatabase?.name}`;
    databaseUrl = url.toString();
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  const database = () => svc.context.db as import('@lattice/platform').Database<AnalyticsDb>;

  /** Waits until every published event is in the inbox and the group has nothing pending. */
  async function settled() {
    const ids = published.map((e) => e.id);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM inbox
        WHERE consumer = ${group} AND event_id = ANY(${ids}::text[])`.execute(database().db);
      if (rows[0]?.n === new Set(ids).size && (await bus.pending(group)) === 0) return;
      if (Date.now() > deadline) throw new Error(`only ${rows[0]?.n} of ${ids.length} applied`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  test('a scripted scenario published on JetStream shows up exactly in the summary', async () => {
    for (const [i, tenantId] of tenants.entries()) {
      const { events } = scenario(tenantId, new Date(Date.UTC(2026, 6, 1 + i)), SIZE);
      published.push(...events);
    }
    await bus.publish(shuffled(published));
    // The same event once more as another message: stored twice in the stream.
    const again = published[0] as CloudEvent;
    await bus.publishRaw(subjectOfType(again.type), JSON.stringify(again), randomUUID());
    await settled();
    const { expected } = scenario(tenants[0] as string, new Date(), SIZE);
    const token = await issuer.sign({ tenantId: tenants[0], roles: ['admin'] });
    const response = await svc.app.inject({
      method: 'GET',
      url: '/api/v1/analytics/summary?from=2026-07-01T00:00:00Z&to=2026-07-02T00:00:00Z',
      headers: { authorization: `Bearer ${token}` },
    });
    const summary = response.json();
    assert.equal(summary.signups, expected.signups);
    assert.equal(summary.ordersPlaced, expected.ordersPlaced);
    assert.equal(summary.ordersConfirmed, expected.ordersConfirmed);
    assert.equal(summary.paymentsFailed, expected.paymentsFailed);
    assert.equal(summary.refunds, expected.refunds);
  });

  test('a rebuild from the streams equals the live read models', async () => {
    const live = await readModelRows(database(), tenants);
    assert.ok(live.hourly_counts.length > 10);
    const lines: string[] = [];
    const result = await rebuildReadModels(database(), {
      // Shared streams may have lost old events to retention: this test compares its tenants only.
      source: { kind: 'stream', natsUrl, allowPartial: true },
      consumer: group,
      progress: { write: (text) => lines.push(text), isTTY: false },
    });
    assert.equal(result.source, 'stream');
    assert.ok(result.read >= published.length + 1, 'every stored event read');
    assert.ok(result.skipped >= 1, 'the event stored twice applied once');
    assert.ok(
      result.streams?.some((s) => s.stream === 'ORDERS'),
      'the orders stream was replayed',
    );
    assert.deepEqual(await readModelRows(database(), tenants), live);
    assert.match(lines.join(''), /rebuild from stream 100% /);
  });

  test('the rebuild command does the same as an operator runs it', async () => {
    const live = await readModelRows(database(), tenants);
    await database().db.deleteFrom('hourly_active_users').execute();
    const { code, stdout, stderr } = await new Promise<{
      code: number;
      stdout: string;
      stderr: string;
    }>((resolve) => {
      execFile(
        process.execPath,
        ['services/analytics/src/rebuild.ts', '--allow-partial'],
        {
          cwd: root,
          env: {
            ...process.env,
            LATTICE_MODE: 'distributed',
            DATABASE_URL: databaseUrl,
            NATS_URL: natsUrl,
            EVENT_GROUP_PREFIX: prefix,
            LOG_LEVEL: 'silent',
          },
        },
        (error, stdout, stderr) =>
          resolve({
            code: error ? Number((error as { code?: unknown }).code ?? 1) : 0,
            stdout,
            stderr,
          }),
      );
    });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /rebuilt from stream: \d+ events read, \d+ applied, [1-9]\d* skipped/);
    assert.match(stdout, /stream ORDERS: \d+ events/);
    assert.match(stderr, /rebuild from stream 100% /, 'a plain progress line on a pipe');
    assert.deepEqual(await readModelRows(database(), tenants), live);
  });

  test('a stream that lost its oldest events is refused unless a partial rebuild is accepted', async () => {
    const context = `an${randomBytes(4).toString('hex')}`;
    const stream = streamName(context);
    const jsm = await jetstreamManager(bus.connection);
    await jsm.streams.add({ name: stream, subjects: [`${context}.>`] });
    try {
      for (let i = 0; i < 3; i++) await bus.publishRaw(`${context}.item.created.v1`, `{"n":${i}}`);
      // What retention does to old events: the stream now starts at sequence 3.
      await jsm.streams.purge(stream, { seq: 3 });
      await assert.rejects(
        openStreamSource(natsUrl, { streams: [stream] }),
        (error: Error) =>
          error instanceof PartialStreamError &&
          error.message.includes(`${stream} starts at sequence 3`) &&
          error.message.includes('--source log'),
      );
      const source = await openStreamSource(natsUrl, { streams: [stream], allowPartial: true });
      assert.deepEqual(source.streams, [{ stream, messages: 1, firstSeq: 3, lastSeq: 3 }]);
      await source.close();
    } finally {
      await jsm.streams.delete(stream).catch(() => {});
    }
  });

  test('the rebuild command refuses unknown arguments with exit code 2', async () => {
    const code = await new Promise<number>((resolve) => {
      execFile(
        process.execPath,
        ['services/analytics/src/rebuild.ts', '--source', 'tape'],
        { cwd: root },
        (error) => resolve(error ? Number((error as { code?: unknown }).code ?? 1) : 0),
      );
    });
    assert.equal(code, 2);
  });
});
