import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  call,
  events,
  eventually,
  listOf,
  type NotificationsService,
  newUser,
  processed,
  registered,
  type TestUser,
  visible,
} from './support/harness.ts';

/** `count` confirmed orders for `user`, published and visible (plus the welcome). */
async function withOrders(svc: NotificationsService, user: TestUser, count: number) {
  await registered(svc, user);
  await svc.bus.publish(Array.from({ length: count }, () => events.orderConfirmed(user)));
  return visible(svc, user, count + 1);
}

async function devMail(svc: NotificationsService, user: TestUser, query = '') {
  const response = await call(svc, 'GET', `/dev-mailbox?limit=100${query}`, { token: user.token });
  return response;
}

export function apiBehaviours(svc: () => NotificationsService): void {
  describe('API', () => {
    test('the list pages newest first with a cursor, and unread=true filters', async () => {
      const user = await newUser(svc());
      const all = await withOrders(svc(), user, 4);
      assert.equal(all.length, 5);
      const times = all.map((item) => item.createdAt);
      assert.deepEqual([...times].sort().reverse(), times, 'newest first');

      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
        const page = await call(svc(), 'GET', query, { token: user.token });
        assert.equal(page.statusCode, 200);
        const body = page.json();
        assert.ok(body.items.length <= 2);
        seen.push(...body.items.map((item: { id: string }) => item.id));
        cursor = body.nextCursor;
      } while (cursor);
      assert.deepEqual(
        seen,
        all.map((item) => item.id),
        'every item once, in order',
      );

      const read = await call(svc(), 'POST', `/${all[0]!.id}/read`, { token: user.token });
      assert.equal(read.statusCode, 204);
      const again = await call(svc(), 'POST', `/${all[0]!.id}/read`, { token: user.token });
      assert.equal(again.statusCode, 204, 'reading twice is fine');
      const unread = await listOf(svc(), user, '&unread=true');
      assert.equal(unread.length, 4);
      assert.ok(!unread.some((item) => item.id === all[0]!.id));
      const [first] = await listOf(svc(), user);
      assert.ok(first?.readAt, 'readAt is set');

      const allRead = await call(svc(), 'POST', '/read-all', { token: user.token });
      assert.equal(allRead.statusCode, 204);
      assert.deepEqual(await listOf(svc(), user, '&unread=true'), []);
    });

    test("another user's notification answers 404 and stays unread; bad input is a 400 problem", async () => {
      const owner = await newUser(svc());
      const [welcome] = await withOrders(svc(), owner, 0);
      const stranger = await newUser(svc());
      const response = await call(svc(), 'POST', `/${welcome!.id}/read`, { token: stranger.token });
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().code, 'NOTIFICATIONS_NOT_FOUND');
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      assert.equal((await listOf(svc(), owner, '&unread=true')).length, 1);
      assert.deepEqual(await listOf(svc(), stranger), [], 'the stranger sees none of it');

      const unknown = await call(svc(), 'POST', `/${randomUUID()}/read`, { token: owner.token });
      assert.equal(unknown.statusCode, 404);
      const malformed = await call(svc(), 'POST', '/not-a-uuid/read', { token: owner.token });
      assert.equal(malformed.statusCode, 400);
      const cursor = await call(svc(), 'GET', '?cursor=nope', { token: owner.token });
      assert.equal(cursor.statusCode, 400);
      assert.equal(cursor.json().code, 'NOTIFICATIONS_INVALID_CURSOR');
      const limit = await call(svc(), 'GET', '?limit=1000', { token: owner.token });
      assert.equal(limit.statusCode, 400);
      const anonymous = await call(svc(), 'GET', '');
      assert.equal(anonymous.statusCode, 401);
    });

    test('preferences: every type on by default, changed per type and channel, validated', async () => {
      const user = await newUser(svc());
      const initial = await call(svc(), 'GET', '/preferences', { token: user.token });
      assert.equal(initial.statusCode, 200);
      assert.deepEqual(initial.json().order_confirmed, { inApp: true, email: true });
      assert.deepEqual(Object.keys(initial.json()).sort(), [
        'order_cancelled',
        'order_confirmed',
        'payment_refunded',
        'todo_reminder',
        'welcome',
      ]);

      const changed = await call(svc(), 'PUT', '/preferences', {
        token: user.token,
        payload: { order_confirmed: { email: false }, todo_reminder: { inApp: false } },
      });
      assert.equal(changed.statusCode, 200, changed.body);
      assert.deepEqual(changed.json().order_confirmed, { inApp: true, email: false });
      assert.deepEqual(changed.json().todo_reminder, { inApp: false, email: true });
      assert.deepEqual(changed.json().welcome, { inApp: true, email: true });
      const read = await call(svc(), 'GET', '/preferences', { token: user.token });
      assert.deepEqual(read.json(), changed.json());

      for (const payload of [
        { nope: { email: false } },
        { welcome: { email: 'no' } },
        { welcome: { sms: true } },
      ]) {
        const bad = await call(svc(), 'PUT', '/preferences', { token: user.token, payload });
        assert.equal(bad.statusCode, 400, JSON.stringify(payload));
        assert.match(String(bad.headers['content-type']), /^application\/problem\+json/);
      }
      assert.deepEqual(
        (await call(svc(), 'GET', '/preferences', { token: user.token })).json(),
        changed.json(),
      );
    });

    test('preferences are respected: in-app off hides the type, email off sends no mail', async () => {
      const user = await newUser(svc());
      await registered(svc(), user);
      await eventually('the welcome mail', async () => {
        const items = (await devMail(svc(), user)).json().items;
        return items.length === 1 ? items : undefined;
      });
      await call(svc(), 'PUT', '/preferences', {
        token: user.token,
        payload: { order_confirmed: { email: false }, order_cancelled: { inApp: false } },
      });
      const confirmed = events.orderConfirmed(user);
      const cancelled = events.orderCancelled(user, 'payment_timeout');
      await svc().bus.publish([confirmed, cancelled]);
      const items = await visible(svc(), user, 2);
      await processed(svc(), 'notifications_orders', cancelled.id);
      const mails = await eventually('the cancellation mail', async () => {
        const list = (await devMail(svc(), user)).json().items;
        return list.length === 2 ? list : undefined;
      });
      assert.deepEqual(
        items.map((item) => item.type),
        ['order_confirmed', 'welcome'],
        'the cancellation is not shown in the app',
      );
      assert.match(mails[0].subject, /cancelled/, 'but it was mailed');
      assert.match(mails[0].text, /did not complete in time/);
      assert.equal(mails[0].to, user.email);
      assert.ok(
        !mails.some((mail: { subject: string }) => /confirmed/.test(mail.subject)),
        'no mail for the confirmation',
      );
    });

    test("the dev mailbox lists the caller's own mails; everyone's only for a platform-admin", async () => {
      const user = await newUser(svc());
      await registered(svc(), user);
      const own = await eventually('the welcome mail', async () => {
        const body = (await devMail(svc(), user)).json() as {
          transport: string;
          items: Array<{ subject: string; text: string }>;
        };
        return body.items.length === 1 ? body : undefined;
      });
      assert.equal(own.transport, 'dev-mailbox');
      assert.equal(own.items[0]?.subject, 'Welcome to Lattice');
      assert.match(own.items[0]?.text ?? '', /^Hello Ada,\n\nWelcome aboard, Ada!/);

      const forbidden = await devMail(svc(), user, '&all=true');
      assert.equal(forbidden.statusCode, 403);
      const admin = await newUser(svc(), { roles: ['platform-admin'] });
      const everyone = await devMail(svc(), admin, '&all=true');
      assert.equal(everyone.statusCode, 200);
      assert.ok(everyone.json().items.some((mail: { to: string }) => mail.to === user.email));
      const adminOwn = await devMail(svc(), admin);
      assert.deepEqual(adminOwn.json().items, []);
    });
  });
}
