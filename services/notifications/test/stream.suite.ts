import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  call,
  events,
  type NotificationsService,
  newUser,
  registered,
  visible,
} from './support/harness.ts';
import { openStream } from './support/sse-client.ts';

export function streamBehaviours(svc: () => NotificationsService): void {
  describe('GET /notifications/stream (real port, plain HTTP client)', () => {
    test('headers come at once; a notification created after connecting arrives with its id; heartbeats flow', async (t) => {
      const user = await newUser(svc());
      await registered(svc(), user);
      const stream = await openStream(svc().baseUrl, user.token);
      t.after(() => stream.close());
      assert.equal(stream.status, 200);
      assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
      assert.equal(stream.headers['cache-control'], 'no-cache, no-transform');
      await stream.until('the first comment', () => stream.comments.includes('connected'));
      assert.equal(stream.events.length, 0, 'the welcome from before connecting is not replayed');

      const order = events.orderConfirmed(user);
      await svc().bus.publish([order]);
      await stream.until('the order notification', () => stream.events.length === 1);
      const [event] = stream.events;
      assert.equal(event?.event, 'notification');
      assert.equal(event?.data.type, 'order_confirmed');
      assert.equal(event?.id, event?.data.id, 'the SSE id is the notification id');
      const [listed] = await visible(svc(), user, 2);
      assert.deepEqual(event?.data, listed, 'the same shape as the list');

      stream.resetComments();
      await stream.until(
        'two heartbeats',
        () => stream.comments.filter((c) => c === 'heartbeat').length >= 2,
      );
    });

    test("Last-Event-ID replays what was published after that id, then goes live; only the caller's own", async (t) => {
      const user = await newUser(svc());
      const other = await newUser(svc());
      await registered(svc(), user);
      await registered(svc(), other);
      const first = await openStream(svc().baseUrl, user.token);
      await svc().bus.publish([events.orderConfirmed(user)]);
      await first.until('one event', () => first.events.length === 1);
      const lastSeen = first.events[0]!.id;
      first.close();

      // Missed while disconnected: two for the user, one for someone else.
      await svc().bus.publish([
        events.orderCancelled(user, 'payment_declined'),
        events.paymentRefunded(user, 'payment_timeout'),
        events.orderConfirmed(other),
      ]);
      await visible(svc(), user, 4);
      await visible(svc(), other, 2);

      const resumed = await openStream(svc().baseUrl, user.token, { 'last-event-id': lastSeen });
      t.after(() => resumed.close());
      await resumed.until('the two missed', () => resumed.events.length === 2);
      assert.deepEqual(resumed.events.map((event) => event.data.type).sort(), [
        'order_cancelled',
        'payment_refunded',
      ]);
      const missedTimes = resumed.events.map((event) => event.data.createdAt);
      assert.deepEqual([...missedTimes].sort(), missedTimes, 'replayed oldest first');

      await svc().bus.publish([events.orderConfirmed(user)]);
      await resumed.until('the live one after the replay', () => resumed.events.length === 3);
      assert.equal(resumed.events[2]?.data.type, 'order_confirmed');
      const ids = resumed.events.map((event) => event.id);
      assert.equal(new Set(ids).size, 3, 'nothing twice');
      assert.ok(!ids.includes(lastSeen));
    });

    test('with more than 100 recipients streaming, each still gets only their own', async (t) => {
      const users = await Promise.all(Array.from({ length: 102 }, () => newUser(svc())));
      const streams = await Promise.all(users.map((user) => openStream(svc().baseUrl, user.token)));
      t.after(() => {
        for (const stream of streams) stream.close();
      });
      await Promise.all(
        streams.map((stream) => stream.until('open', () => stream.comments.includes('connected'))),
      );
      const [first, last] = [users[0]!, users[101]!];
      await svc().bus.publish([events.orderConfirmed(first), events.orderConfirmed(last)]);
      await streams[0]!.until("the first user's order", () => streams[0]!.events.length === 1);
      await streams[101]!.until("the last user's order", () => streams[101]!.events.length === 1);
      // A scan after both were delivered reaches every stream: nobody else got anything.
      await svc().bus.publish([events.orderConfirmed(first)]);
      await streams[0]!.until('a second one', () => streams[0]!.events.length === 2);
      for (const stream of streams.slice(1, 101)) assert.equal(stream.events.length, 0);
      assert.equal(streams[101]!.events.length, 1);
    });

    test('without a token the stream is a 401 problem, not a stream', async () => {
      const response = await call(svc(), 'GET', '/stream');
      assert.equal(response.statusCode, 401);
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
    });
  });
}
