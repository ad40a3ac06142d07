import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type JetStreamManager, jetstreamManager, type StoredMsg } from '@nats-io/jetstream';
import type { DeadLetter } from '../../src/bus/dead-letter.ts';
import type { CloudEvent } from '../../src/bus/event-bus.ts';
import { JetStreamBus } from '../../src/bus/jetstream-bus.ts';
import { DEAD_LETTER_STREAM, streamName } from '../../src/bus/subjects.ts';
import { needs } from '../../src/testing/index.ts';
import { describeBusBehaviour } from './bus-behaviour.ts';
import { type ItemCreated, sleep, testEvents, uniqueContext, waitFor } from './support.ts';

const servers = process.env.TEST_NATS_URL || 'nats://127.0.0.1:4222';
const retry = { baseMs: 20, maxMs: 200 };

describeBusBehaviour(
  'JetStreamBus',
  async () => {
    const context = uniqueContext('jb');
    const admin = await JetStreamBus.connect({ servers });
    return {
      context,
      ackWaitMs: 1_000,
      open: () => JetStreamBus.connect({ servers, retry, name: `${context}-test` }),
      publishRaw: (subject, payload) => admin.publishRaw(subject, payload),
      cleanup: async () => {
        const jsm = await jetstreamManager(admin.connection);
        await jsm.streams.delete(streamName(context)).catch(() => {});
        // DEADLETTER is shared: remove only this run's consumers and letters.
        for await (const consumer of jsm.consumers.list(DEAD_LETTER_STREAM)) {
          if (consumer.name.startsWith(context)) {
            await jsm.consumers.delete(DEAD_LETTER_STREAM, consumer.name);
          }
        }
        await jsm.streams.purge(DEAD_LETTER_STREAM, { filter: `deadletter.*.${context}.>` });
        await admin.close();
      },
    };
  },
  { skip: needs('nats') },
);

describe('JetStreamBus specifics', { skip: needs('nats') }, () => {
  const context = uniqueContext('jbx');
  const events = testEvents(context);
  let bus: JetStreamBus;
  let jsm: JetStreamManager;
  before(async () => {
    bus = await JetStreamBus.connect({ servers, retry });
    jsm = await jetstreamManager(bus.connection);
  });
  after(async () => {
    await jsm.streams.delete(streamName(context)).catch(() => {});
    await jsm.streams.purge(DEAD_LETTER_STREAM, { filter: `deadletter.*.${context}.>` });
    await bus.close();
  });

  it('creates the context stream and a durable consumer per group, idempotently, and updates it', async () => {
    const group = `${context}-durable`;
    const subscribe = (ackWaitMs: number) =>
      bus.subscribe({
        group,
        subjects: [events.subject],
        maxDeliver: 4,
        ackWaitMs,
        handler: async () => {},
      });
    const first = await subscribe(1_500);
    const second = await subscribe(1_500);
    const stream = await jsm.streams.info(streamName(context));
    assert.deepEqual(stream.config.subjects, [`${context}.>`]);
    assert.equal(stream.config.storage, 'file');
    assert.equal(stream.config.duplicate_window, 120_000_000_000);
    let consumer = await jsm.consumers.info(streamName(context), group);
    assert.equal(consumer.config.ack_policy, 'explicit');
    assert.equal(consumer.config.max_deliver, 5, 'maxDeliver + 1: the last one dead-letters');
    assert.equal(consumer.config.ack_wait, 1_500_000_000);
    assert.equal(consumer.config.filter_subject, events.subject);
    await Promise.all([first.drain(), second.drain()]);
    await (await subscribe(3_000)).drain();
    consumer = await jsm.consumers.info(streamName(context), group);
    assert.equal(consumer.config.ack_wait, 3_000_000_000);
  });

  it('keeps a handler that outlives the ack wait from being redelivered (in-progress heartbeats)', async () => {
    const attempts: number[] = [];
    const subscription = await bus.subscribe<ItemCreated>({
      group: `${context}-slow`,
      subjects: [events.subject],
      ackWaitMs: 1_000,
      handler: async ({ attempt, event }) => {
        if (event.data.n !== 7) return;
        attempts.push(attempt);
        await sleep(2_300);
      },
    });
    await bus.publish([events.event(7, 'slow')]);
    await waitFor('the handler', () => attempts.length === 1);
    await subscription.drain();
    await sleep(200);
    assert.deepEqual(attempts, [1]);
  });

  it('stores a dead letter with headers naming the reason, subject, group and delivery count', async () => {
    const group = `${context}-headers`;
    const subscription = await bus.subscribe<ItemCreated>({
      group,
      subjects: [events.subject],
      maxDeliver: 2,
      handler: async ({ event }) => {
        if (event.data.n === 9) throw new Error('line one\nline two');
      },
    });
    await bus.publish([events.event(9, 'dl')]);
    const subject = `deadletter.${group}.${events.subject}`;
    let stored: StoredMsg | null = null;
    for (let i = 0; i < 100 && !stored; i++) {
      stored = await jsm.streams
        .getMessage(DEAD_LETTER_STREAM, { last_by_subj: subject })
        .catch(() => null);
      if (!stored) await sleep(50);
    }
    assert.ok(stored, 'a dead letter was stored');
    const letter = stored as StoredMsg;
    assert.equal(
      letter.header.get('Lattice-Dead-Letter-Reason'),
      'handler failed on delivery 2 of 2: line one line two',
    );
    assert.equal(letter.header.get('Lattice-Original-Subject'), events.subject);
    assert.equal(letter.header.get('Lattice-Consumer-Group'), group);
    assert.equal(letter.header.get('Lattice-Delivery-Count'), '2');
    const body = letter.json<CloudEvent<DeadLetter>>();
    assert.equal(body.data.stream, streamName(context));
    assert.match(body.data.reason, /line one\nline two/);
    await subscription.drain();
  });

  it('answers ping while connected and refuses use after close', async () => {
    const other = await JetStreamBus.connect({ servers });
    await other.ping();
    await other.close();
    await assert.rejects(other.ping(), { code: 'EVENT_BUS_CLOSED' });
    await assert.rejects(other.publish([events.event(1)]), { code: 'EVENT_BUS_CLOSED' });
  });
});
