import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CloudEvent, EventBus } from '../../src/bus/event-bus.ts';
import { collectDeadLetters, type ItemCreated, sleep, testEvents, waitFor } from './support.ts';

/** One "process" using the bus: `terminate()` stops it as a crash would, without any ack. */
export interface TestBus extends EventBus {
  terminate(): void | Promise<void>;
}

export interface BusHarness {
  context: string;
  /** Another instance on the same broker (a second process, or a second service in-process). */
  open(): Promise<TestBus>;
  /** Bytes on a subject, bypassing every check, as a broken producer would send them. */
  publishRaw(subject: string, payload: string | Uint8Array): Promise<void>;
  /** Options every subscription of the suite adds (e.g. a short ack wait). */
  ackWaitMs: number;
  cleanup(): Promise<void>;
}

/**
 * The behaviour every EventBus adapter must show; run against the embedded bus and against
 * JetStream, so a service behaves the same in both modes.
 */
export function describeBusBehaviour(
  name: string,
  setup: () => Promise<BusHarness>,
  options: { skip?: string | false } = {},
): void {
  describe(name, { skip: options.skip ?? false }, () => {
    let harness: BusHarness;
    let bus: TestBus;
    let groupCount = 0;
    const group = () => `${harness.context}-g${++groupCount}`;
    let eventCount = 0;
    const fresh = () => testEvents(harness.context, `a${++eventCount}`);
    const opened: TestBus[] = [];
    const open = async () => {
      const instance = await harness.open();
      opened.push(instance);
      return instance;
    };

    before(async () => {
      harness = await setup();
      bus = await open();
    });
    after(async () => {
      await Promise.all(opened.map((b) => b.close().catch(() => {})));
      await harness?.cleanup();
    });

    it('delivers a published event to a subscriber, acknowledged on the first attempt', async () => {
      const events = fresh();
      const received: Array<{ event: CloudEvent<ItemCreated>; attempt: number }> = [];
      const subscription = await bus.subscribe<ItemCreated>({
        group: group(),
        subjects: [events.subject],
        handler: async ({ event, attempt }) => {
          received.push({ event, attempt });
        },
      });
      const event = events.event(1);
      await bus.publish([event]);
      await waitFor('the event', () => received.length === 1);
      assert.deepEqual(received[0], { event, attempt: 1 });
      await subscription.drain();
    });

    it('refuses to publish an unknown type or invalid data, and publishes nothing of the batch', async () => {
      const events = fresh();
      const seen: number[] = [];
      const subscription = await bus.subscribe<ItemCreated>({
        group: group(),
        subjects: [events.subject],
        handler: async ({ event }) => {
          seen.push(event.data.n);
        },
      });
      const invalid = { ...events.event(2), data: { n: 'two' } } as CloudEvent;
      await assert.rejects(bus.publish([events.event(1, 'a'), invalid]), { code: 'EVENT_INVALID' });
      const unknown = { ...events.event(3), type: `lattice.${harness.context}.item.unknown.v1` };
      await assert.rejects(bus.publish([unknown]), { code: 'EVENT_TYPE_UNKNOWN' });
      await bus.publish([events.event(4, 'a')]);
      await waitFor('the valid event', () => seen.length > 0);
      await sleep(50);
      assert.deepEqual(seen, [4]);
      await subscription.drain();
    });

    it('delivers an event published twice with the same id once', async () => {
      const events = fresh();
      const seen: string[] = [];
      const subscription = await bus.subscribe<ItemCreated>({
        group: group(),
        subjects: [events.subject],
        handler: async ({ event }) => {
          seen.push(event.id);
        },
      });
      const event = events.event(1, 'dup');
      const marker = events.event(2, 'dup');
      await bus.publish([event]);
      await bus.publish([event]);
      await bus.publish([marker]);
      await waitFor('the marker', () => seen.includes(marker.id));
      assert.deepEqual(seen, [event.id, marker.id]);
      await subscription.drain();
    });

    it('retries a throwing handler with backoff, then dead-letters the event with the reason', async () => {
      const events = fresh();
      const name = group();
      const dead = await collectDeadLetters(bus, name);
      const attempts: number[] = [];
      const handled: number[] = [];
      const subscription = await bus.subscribe<ItemCreated>({
        group: name,
        subjects: [events.subject],
        maxDeliver: 3,
        ackWaitMs: harness.ackWaitMs,
        handler: async ({ event, attempt }) => {
          if (event.data.n === 1) {
            attempts.push(attempt);
            throw new Error('boom: the database is down');
          }
          handled.push(event.data.n);
        },
      });
      const poison = events.event(1, 'p');
      await bus.publish([poison, events.event(2, 'q')]);
      await waitFor('the dead letter', () => dead.letters.length === 1);
      assert.deepEqual(attempts, [1, 2, 3]);
      const letter = dead.letters[0]!;
      assert.match(letter.reason, /handler failed on delivery 3 of 3: boom: the database is down/);
      assert.equal(letter.group, name);
      assert.equal(letter.subject, events.subject);
      assert.equal(letter.deliveryCount, 3);
      assert.deepEqual(letter.event, poison);
      await waitFor('the next event', () => handled.includes(2));
      await subscription.drain();
      await dead.subscription.drain();
    });

    it('dead-letters a malformed or schema-invalid message and keeps consuming', async () => {
      const events = fresh();
      const name = group();
      const dead = await collectDeadLetters(bus, name);
      const handled: number[] = [];
      const subscription = await bus.subscribe<ItemCreated>({
        group: name,
        subjects: [events.subject],
        handler: async ({ event }) => {
          handled.push(event.data.n);
        },
      });
      await harness.publishRaw(events.subject, '{"specversion":"1.0", not json');
      await harness.publishRaw(events.subject, new Uint8Array([0xff, 0xfe, 0x00]));
      await harness.publishRaw(
        events.subject,
        JSON.stringify({ ...events.event(2), data: { n: 'not a number' } }),
      );
      await harness.publishRaw(events.subject, JSON.stringify({ hello: 'world' }));
      await bus.publish([events.event(3)]);
      await waitFor('four dead letters', () => dead.letters.length === 4);
      await waitFor('the valid event', () => handled.length === 1);
      assert.deepEqual(handled, [3]);
      const reasons = dead.letters.map((l) => l.reason);
      assert.match(reasons[0]!, /^malformed JSON/);
      assert.match(reasons[1]!, /^malformed JSON/);
      assert.match(reasons[2]!, /^data does not match .*\/n must be integer/);
      assert.match(reasons[3]!, /^not a CloudEvent/);
      assert.equal(dead.letters[0]!.payload, '{"specversion":"1.0", not json');
      assert.equal(dead.letters[0]!.deliveryCount, 1);
      await subscription.drain();
      await dead.subscription.drain();
    });

    it('shares one group between two instances, each event handled once, while another group gets everything', async () => {
      const events = fresh();
      const [first, second, other] = [await open(), await open(), await open()];
      const name = group();
      const byInstance = new Map<string, string[]>([
        ['first', []],
        ['second', []],
        ['other', []],
      ]);
      const subscribe = (instance: TestBus, label: string, groupName: string) =>
        instance.subscribe<ItemCreated>({
          group: groupName,
          subjects: [events.subject],
          handler: async ({ event }) => {
            await sleep(5);
            byInstance.get(label)!.push(event.id);
          },
        });
      const subscriptions = [
        await subscribe(first, 'first', name),
        await subscribe(second, 'second', name),
        await subscribe(other, 'other', group()),
      ];
      const published = Array.from({ length: 40 }, (_, i) => events.event(i, `share-${i}`));
      await bus.publish(published);
      const shared = () => [...byInstance.get('first')!, ...byInstance.get('second')!];
      await waitFor(
        'every event in both groups',
        () => shared().length >= 40 && byInstance.get('other')!.length >= 40,
      );
      await sleep(100);
      const ids = published.map((e) => e.id).sort();
      assert.deepEqual([...shared()].sort(), ids, 'each event once in the shared group');
      assert.deepEqual([...byInstance.get('other')!].sort(), ids);
      assert.ok(byInstance.get('first')!.length > 0, 'the first instance got work');
      assert.ok(byInstance.get('second')!.length > 0, 'the second instance got work');
      await Promise.all(subscriptions.map((s) => s.drain()));
    });

    it('redelivers to the next instance an event whose handler crashed before the ack', async () => {
      const events = fresh();
      const name = group();
      const crashing = await open();
      let started = false;
      await crashing.subscribe<ItemCreated>({
        group: name,
        subjects: [events.subject],
        ackWaitMs: harness.ackWaitMs,
        handler: async () => {
          started = true;
          await new Promise(() => {});
        },
      });
      const event = events.event(1, 'crash');
      await bus.publish([event]);
      await waitFor('the first delivery', () => started);
      await crashing.terminate();

      const survivor = await open();
      const received: Array<{ id: string; attempt: number }> = [];
      const subscription = await survivor.subscribe<ItemCreated>({
        group: name,
        subjects: [events.subject],
        ackWaitMs: harness.ackWaitMs,
        handler: async ({ event: e, attempt }) => {
          received.push({ id: e.id, attempt });
        },
      });
      await waitFor('the redelivery', () => received.length === 1, harness.ackWaitMs * 5);
      assert.deepEqual(received, [{ id: event.id, attempt: 2 }]);
      await subscription.drain();
    });

    it('dead-letters an event whose last allowed delivery crashed, without running the handler again', async () => {
      const events = fresh();
      const name = group();
      const dead = await collectDeadLetters(bus, name);
      const crashing = await open();
      let started = false;
      const subscribe = (instance: TestBus, handler: () => Promise<void>) =>
        instance.subscribe<ItemCreated>({
          group: name,
          subjects: [events.subject],
          maxDeliver: 1,
          ackWaitMs: harness.ackWaitMs,
          handler,
        });
      await subscribe(crashing, async () => {
        started = true;
        await new Promise(() => {});
      });
      await bus.publish([events.event(1, 'last')]);
      await waitFor('the only delivery', () => started);
      await crashing.terminate();
      let ran = 0;
      const survivor = await open();
      const subscription = await subscribe(survivor, async () => {
        ran++;
      });
      await waitFor('the dead letter', () => dead.letters.length === 1, harness.ackWaitMs * 5);
      assert.match(dead.letters[0]!.reason, /^not acknowledged after 1 deliveries/);
      assert.equal(dead.letters[0]!.deliveryCount, 2);
      assert.equal(ran, 0);
      await subscription.drain();
      await dead.subscription.drain();
    });

    it('delivers only the subscribed subjects, several per subscription, wildcards included', async () => {
      const [a, b, c] = [fresh(), fresh(), fresh()];
      const types: string[] = [];
      const subscription = await bus.subscribe<ItemCreated>({
        group: group(),
        subjects: [a.subject, b.subject.replace('.created.', '.*.')],
        handler: async ({ event }) => {
          types.push(event.type);
        },
      });
      await bus.publish([c.event(1), a.event(2), b.event(3), c.event(4)]);
      await waitFor('two events', () => types.length === 2);
      await sleep(100);
      assert.deepEqual(types.sort(), [a.type, b.type].sort());
      await subscription.drain();
    });

    it('handles several events at once with concurrency, yet one at a time per subject', async () => {
      const events = fresh();
      const order = new Map<string, number[]>();
      let active = 0;
      let mostActive = 0;
      let done = 0;
      const subscription = await bus.subscribe<ItemCreated>({
        group: group(),
        subjects: [events.subject],
        concurrency: 4,
        handler: async ({ event }) => {
          active++;
          mostActive = Math.max(mostActive, active);
          await sleep(10 + (event.data.n % 3) * 5);
          order.set(event.subject, [...(order.get(event.subject) ?? []), event.data.n]);
          active--;
          done++;
        },
      });
      await bus.publish(Array.from({ length: 12 }, (_, n) => events.event(n, `s${n % 3}`)));
      await waitFor('every event', () => done === 12);
      assert.ok(mostActive > 1, `handlers ran concurrently (at most ${mostActive})`);
      assert.deepEqual(Object.fromEntries(order), {
        s0: [0, 3, 6, 9],
        s1: [1, 4, 7, 10],
        s2: [2, 5, 8, 11],
      });
      assert.ok(mostActive <= 4);
      await subscription.drain();
    });

    it('drain waits for the handlers in flight', async () => {
      const events = fresh();
      let finished = false;
      let started = false;
      const subscription = await bus.subscribe<ItemCreated>({
        group: group(),
        subjects: [events.subject],
        handler: async () => {
          started = true;
          await sleep(200);
          finished = true;
        },
      });
      await bus.publish([events.event(1, 'drain')]);
      await waitFor('the handler', () => started);
      await subscription.drain();
      assert.equal(finished, true);
    });
  });
}
