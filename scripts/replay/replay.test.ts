import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { defineContract, registerContract } from '@lattice/contracts';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { Type } from 'typebox';
import { createEvent } from '../../packages/platform/src/bus/envelope.ts';
import type { Subscription } from '../../packages/platform/src/bus/event-bus.ts';
import { JetStreamBus } from '../../packages/platform/src/bus/jetstream-bus.ts';
import { streamName } from '../../packages/platform/src/bus/subjects.ts';
import { migrate } from '../../packages/platform/src/db/migrations.ts';
import { consumeOnce } from '../../packages/platform/src/outbox/inbox.ts';
import { inboxMigration } from '../../packages/platform/src/outbox/migrations.ts';
import {
  createTestDatabase,
  needs,
  testPostgresUrl,
} from '../../packages/platform/src/testing/index.ts';
import type { ReplayOptions } from './args.ts';
import { covers } from './filters.ts';
import { type ReplayIo, replay } from './replay.ts';

const servers = process.env.TEST_NATS_URL || 'nats://127.0.0.1:4222';
const root = fileURLToPath(new URL('../../', import.meta.url));
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function collectingIo(): ReplayIo & { text(): string } {
  const lines: string[] = [];
  return {
    out: (text) => lines.push(text),
    err: { write: (text) => lines.push(text), isTTY: false },
    text: () => lines.join('\n'),
  };
}

/** The CLI as an operator runs it; resolves with its exit code and output, never rejects. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['scripts/replay-events.ts', ...args],
      { cwd: root, env: { ...process.env, NATS_URL: servers } },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

test('a --subject narrows a replay only inside what the group consumes', () => {
  assert.ok(covers('orders.>', 'orders.order.*.v1'));
  assert.ok(covers('orders.order.*.v1', 'orders.order.placed.v1'));
  assert.ok(covers('orders.*.*.v1', 'orders.order.*.v1'));
  assert.ok(!covers('orders.order.placed.v1', 'orders.order.*.v1'));
  assert.ok(!covers('orders.order.*.v1', 'orders.>'));
  assert.ok(!covers('orders.>', 'orders'));
  assert.ok(!covers('orders.order.*.v1', 'orders.order.placed.v1.extra'));
});

describe('events:replay', { skip: needs('nats') }, () => {
  const context = `rp${randomBytes(4).toString('hex')}`;
  const stream = streamName(context);
  const type = `lattice.${context}.item.created.v1`;
  const subject = `${context}.item.created.v1`;
  let bus: JetStreamBus;
  let jsm: JetStreamManager;
  /** Between the events 1..5 and 6..10, by the broker's clock (same machine). */
  let midpoint: Date;

  const options = (extra: Partial<ReplayOptions>): ReplayOptions => ({
    natsUrl: servers,
    stream,
    group: 'unset',
    dryRun: false,
    resetInbox: false,
    wait: true,
    timeoutMs: 90_000,
    progressIntervalMs: 1_000,
    ...extra,
  });

  /** A group that has consumed all ten events; `seen` holds every n its handler runs for. */
  async function consumedGroup(
    group: string,
    apply: (n: number, id: string) => Promise<void> = async () => {},
  ) {
    const seen: number[] = [];
    const subscribe = () =>
      bus.subscribe<{ n: number }>({
        group,
        subjects: [subject],
        handler: async ({ event }) => {
          await apply(event.data.n, event.id);
          seen.push(event.data.n);
        },
      });
    let subscription: Subscription = await subscribe();
    await waitFor(`${group} to consume every event`, () => seen.length === 10);
    return {
      seen,
      restart: async () => {
        await subscription.drain();
        subscription = await subscribe();
      },
      drain: () => subscription.drain(),
    };
  }

  before(async () => {
    registerContract(
      defineContract({
        type,
        schema: Type.Object({ n: Type.Integer() }),
        producer: 'tests',
        consumers: ['tests'],
        description: 'replay test event',
        examples: [{ n: 1 }],
      }),
    );
    bus = await JetStreamBus.connect({ servers, retry: { baseMs: 20, maxMs: 200 } });
    jsm = await jetstreamManager(bus.connection);
    const event = (n: number) =>
      createEvent({ source: 'tests', type, subject: `item-${n}`, tenantId: 't1', data: { n } });
    await bus.publish(range(1, 5).map(event));
    await sleep(150);
    midpoint = new Date();
    await sleep(150);
    await bus.publish(range(6, 10).map(event));
  });

  after(async () => {
    await jsm?.streams.delete(stream).catch(() => {});
    await bus?.close();
  });

  it('--dry-run prints the stream, the group and the range, and moves nothing (CLI)', async () => {
    const group = `${context}-dry`;
    const consumer = await consumedGroup(group);
    const before = await jsm.consumers.info(stream, group);
    const run = await cli(['--stream', stream, '--group', group, '--from-seq', '4', '--dry-run']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`stream ${stream} \\(${context}\\.>\\): 10 events`));
    assert.match(run.stdout, /range \(.*\): 7 events, seq 4\.\.10/);
    assert.match(run.stdout, new RegExp(`${subject} {2}7`));
    assert.match(run.stdout, /would restart at stream sequence 4/);
    const after = await jsm.consumers.info(stream, group);
    assert.equal(after.created, before.created, 'the durable consumer was not re-created');
    assert.equal(after.ack_floor.stream_seq, 10);
    assert.equal(after.num_pending, 0);
    await consumer.drain();
  });

  it('exits 2 with a message for an unknown stream, an unknown group or a bad argument (CLI)', async () => {
    const unknownStream = await cli(['--stream', `${stream}_NOPE`, '--group', 'g']);
    assert.equal(unknownStream.code, 2);
    assert.match(unknownStream.stderr, new RegExp(`stream ${stream}_NOPE not found`));
    const unknownGroup = await cli(['--stream', stream, '--group', 'nobody']);
    assert.equal(unknownGroup.code, 2);
    assert.match(unknownGroup.stderr, /group nobody has no durable consumer/);
    const badTime = await cli(['--stream', stream, '--group', 'g', '--from', 'yesterday']);
    assert.equal(badTime.code, 2);
    assert.match(badTime.stderr, /--from yesterday is not an ISO 8601 time/);
    const outside = await cli([
      '--stream',
      stream,
      '--group',
      `${context}-dry`,
      '--subject',
      'other.x.y.v1',
    ]);
    assert.equal(outside.code, 2);
    assert.match(
      outside.stderr,
      new RegExp(`--subject other.x.y.v1 is not stored in stream ${stream}`),
    );
  });

  it('redelivers the events from a time on to the running instance of the group, each once', async () => {
    const group = `${context}-live`;
    const consumer = await consumedGroup(group);
    consumer.seen.length = 0;
    const io = collectingIo();
    const summary = await replay(options({ group, from: midpoint }), io);
    assert.equal(summary.range.count, 5, io.text());
    assert.equal(summary.range.firstSeq, 6);
    assert.equal(summary.startSeq, 6);
    assert.ok(summary.watch?.caughtUp, io.text());
    assert.match(io.text(), /done: group .* caught up/);
    await sleep(300);
    assert.deepEqual(
      consumer.seen.toSorted((a, b) => a - b),
      range(6, 10),
    );
    await consumer.drain();
  });

  it('re-applies exactly a sequence range through the inbox after forgetting its ids', {
    skip: needs('postgres'),
  }, async () => {
    const group = 'replaytest_inbox';
    const db = await createTestDatabase('replaytest', 'postgres');
    try {
      await migrate(db.database, [inboxMigration]);
      const applied: number[] = [];
      const consumer = await consumedGroup(group, async (n, id) => {
        await consumeOnce(db.database, group, id, async () => {
          applied.push(n);
        });
      });
      assert.deepEqual(
        applied.toSorted((a, b) => a - b),
        range(1, 10),
      );
      // The service is stopped while its group is moved, then started again.
      await consumer.drain();
      applied.length = 0;
      consumer.seen.length = 0;
      const databaseUrl = new URL(testPostgresUrl());
      databaseUrl.pathname = `/${db.name}`;
      const io = collectingIo();
      // No --schema: the group's service names it.
      const summary = await replay(
        options({
          group,
          fromSeq: 3,
          toSeq: 5,
          resetInbox: true,
          databaseUrl: databaseUrl.toString(),
          wait: false,
        }),
        io,
      );
      assert.equal(summary.range.count, 3, io.text());
      assert.equal(summary.inboxDeleted, 3);
      assert.equal(summary.startSeq, 3);
      assert.ok(summary.repositioned);
      await consumer.restart();
      // Every event from seq 3 on is delivered again; the inbox lets only the range through.
      await waitFor('the redeliveries', () => consumer.seen.length === 8);
      await sleep(200);
      assert.deepEqual(
        consumer.seen.toSorted((a, b) => a - b),
        range(3, 10),
      );
      assert.deepEqual(
        applied.toSorted((a, b) => a - b),
        range(3, 5),
      );
      await consumer.drain();
    } finally {
      await db.cleanup();
    }
  });
});
