import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EmbeddedBus } from '../../src/bus/embedded-bus.ts';
import type { CloudEvent } from '../../src/bus/event-bus.ts';
import { describeBusBehaviour } from './bus-behaviour.ts';
import { type ItemCreated, sleep, testEvents, uniqueContext, waitFor } from './support.ts';

const retry = { baseMs: 20, maxMs: 200 };

describeBusBehaviour('EmbeddedBus', async () => {
  const broker = new EmbeddedBus({ retry });
  return {
    context: uniqueContext('eb'),
    ackWaitMs: 200,
    open: async () => broker.connect(),
    publishRaw: (subject, payload) => broker.publishRaw(subject, payload),
    cleanup: () => broker.close(),
  };
});

describe('EmbeddedBus specifics', () => {
  const context = uniqueContext('ebx');
  const events = testEvents(context);

  it('keeps per-subject order through retries while other subjects go on', async () => {
    const bus = new EmbeddedBus({ retry });
    const log: string[] = [];
    let failedOnce = false;
    await bus.subscribe<ItemCreated>({
      group: 'ordered',
      subjects: [events.subject],
      concurrency: 4,
      handler: async ({ event, attempt }) => {
        log.push(`${event.subject}:${event.data.n}:${attempt}`);
        if (event.data.n === 1 && !failedOnce) {
          failedOnce = true;
          throw new Error('transient');
        }
      },
    });
    await bus.publish([
      events.event(1, 'X'),
      events.event(2, 'X'),
      events.event(10, 'Y'),
      events.event(3, 'X'),
    ]);
    await waitFor('every event', () => log.length === 5);
    assert.deepEqual(
      log.filter((l) => l.startsWith('X')),
      ['X:1:1', 'X:1:2', 'X:2:1', 'X:3:1'],
    );
    assert.ok(log.indexOf('Y:10:1') < log.indexOf('X:1:2'), 'Y did not wait for X');
    await bus.close();
  });

  it('keeps dead letters inspectable, and publishes them to deadletter.> subscribers', async () => {
    const bus = new EmbeddedBus({ retry });
    const seen: CloudEvent[] = [];
    await bus.subscribe({
      group: 'ops',
      subjects: ['deadletter.>'],
      handler: async ({ event }) => {
        seen.push(event);
      },
    });
    await bus.subscribe({
      group: 'failing',
      subjects: [events.subject],
      maxDeliver: 1,
      handler: async () => {
        throw new Error('nope');
      },
    });
    await bus.publish([events.event(1)]);
    await waitFor('the dead letter', () => seen.length === 1);
    assert.equal(bus.deadLetters('failing').length, 1);
    assert.match(bus.deadLetters()[0]!.reason, /nope/);
    assert.equal(seen[0]!.type, 'lattice.deadletter.message.dead-lettered.v1');
    await bus.close();
  });

  it('gives a group that subscribes late the events published before, like a new durable', async () => {
    const bus = new EmbeddedBus();
    await bus.publish([events.event(1)]);
    const seen: number[] = [];
    await bus.subscribe<ItemCreated>({
      group: 'late',
      subjects: [events.subject],
      handler: async ({ event }) => {
        seen.push(event.data.n);
      },
    });
    await waitFor('the earlier event', () => seen.length === 1);
    await bus.close();
  });

  it("closing one service's client leaves the shared bus and the other clients running", async () => {
    const bus = new EmbeddedBus();
    const a = bus.connect();
    const b = bus.connect();
    const seen: string[] = [];
    await b.subscribe({
      group: 'b',
      subjects: [events.subject],
      handler: async () => void seen.push('b'),
    });
    await a.close();
    await assert.rejects(a.publish([events.event(1)]), { code: 'EVENT_BUS_CLOSED' });
    await b.publish([events.event(2)]);
    await waitFor('b', () => seen.length === 1);
    await bus.close();
    await assert.rejects(b.ping(), { code: 'EVENT_BUS_CLOSED' });
    await sleep(1);
  });

  it('reports published, consumed, redelivered and dead-lettered events to the observer', async () => {
    const counts: Record<string, number> = {};
    const count = (name: string) => () => {
      counts[name] = (counts[name] ?? 0) + 1;
    };
    const bus = new EmbeddedBus({
      retry,
      observer: {
        published: count('published'),
        consumed: count('consumed'),
        redelivered: count('redelivered'),
        failed: count('failed'),
        deadLettered: count('deadLettered'),
      },
    });
    await bus.subscribe<ItemCreated>({
      group: 'observed',
      subjects: [events.subject],
      maxDeliver: 2,
      handler: async ({ event }) => {
        if (event.data.n === 1) throw new Error('no');
      },
    });
    await bus.publish([events.event(1), events.event(2)]);
    await waitFor('the dead letter', () => counts.deadLettered === 1);
    await waitFor('the consumed event', () => counts.consumed === 1);
    assert.deepEqual(counts, {
      published: 2,
      consumed: 1,
      redelivered: 1,
      failed: 2,
      deadLettered: 1,
    });
    await bus.close();
  });
});
