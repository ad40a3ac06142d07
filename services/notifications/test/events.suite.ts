import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { CloudEvent } from '@lattice/platform';
import {
  database,
  deliverTwice,
  dueReminders,
  events,
  listOf,
  type NotificationsService,
  newUser,
  processed,
  registered,
  rowsOf,
  setProfile,
  visible,
} from './support/harness.ts';

export function eventBehaviours(svc: () => NotificationsService): void {
  describe('consumed events', () => {
    test('a registration delivered twice makes one welcome, addressed by name', async () => {
      const user = await newUser(svc(), { name: 'Grace' });
      const event = events.registered(user);
      await deliverTwice(svc(), event);
      await processed(svc(), 'notifications_accounts', event.id);
      const [welcome] = await visible(svc(), user, 1);
      assert.equal(welcome?.type, 'welcome');
      assert.equal(welcome?.title, 'Welcome to Lattice');
      assert.match(welcome?.body ?? '', /Grace/);
      assert.equal(welcome?.readAt, null);
      assert.equal((await rowsOf(svc(), event.id)).length, 1);
      await delay(300);
      assert.equal((await listOf(svc(), user)).length, 1, 'still one after the loops ran again');
    });

    test('order confirmed, cancelled (reason in words) and refunded: one each, even delivered twice', async () => {
      const user = await newUser(svc());
      await registered(svc(), user);
      const confirmed = events.orderConfirmed(user);
      const cancelled = events.orderCancelled(user, 'payment_declined');
      const cancelledPaid = events.orderCancelled(user, 'cancelled_by_customer', 'p-9');
      const refunded = events.paymentRefunded(user, 'cancelled_by_customer');
      for (const event of [confirmed, cancelled, cancelledPaid, refunded])
        await deliverTwice(svc(), event);

      const items = await visible(svc(), user, 5);
      assert.equal(items.length, 5);
      for (const event of [confirmed, cancelled, cancelledPaid, refunded])
        assert.equal((await rowsOf(svc(), event.id)).length, 1, `one row for ${event.type}`);

      const byBody = (pattern: RegExp) => items.find((item) => pattern.test(item.body));
      const ok = byBody(/is paid and confirmed/);
      assert.equal(ok?.type, 'order_confirmed');
      assert.match(ok?.body ?? '', /€25\.98/, 'money in the default locale (en)');
      const declined = byBody(/declined/);
      assert.equal(declined?.type, 'order_cancelled');
      assert.match(declined?.body ?? '', /was cancelled because your payment was declined\.$/);
      const byCustomer = items.find(
        (item) => item.type === 'order_cancelled' && /you cancelled it/.test(item.body),
      );
      assert.match(byCustomer?.body ?? '', /The payment will be refunded\./);
      const refund = items.find((item) => item.type === 'payment_refunded');
      assert.match(
        refund?.body ?? '',
        /^€19\.99 for order .+ was refunded because you cancelled it\.$/,
      );
      assert.doesNotMatch(items.map((item) => item.body).join(' '), /_/, 'no reason code shows');
    });

    test("the recipient's locale and time zone from the users service shape money and dates", async () => {
      const user = await newUser(svc(), { name: 'Jörg' });
      await registered(svc(), user);
      await setProfile(svc(), user, { locale: 'de-DE', timezone: 'Europe/Berlin' });
      // The profile read for the welcome is cached for a second in these tests.
      await delay(1_200);
      await svc().bus.publish([events.orderConfirmed(user, randomUUID(), 123456, 'EUR')]);
      const due = new Date(Date.now() - 60_000);
      due.setUTCSeconds(0, 0);
      const todo = events.todoCreated(user, 'Steuererklärung', due.toISOString());
      await svc().bus.publish([todo]);
      await processed(svc(), 'notifications_reminders', todo.id);
      await dueReminders(svc());

      const items = await visible(svc(), user, 3);
      const order = items.find((item) => item.type === 'order_confirmed');
      assert.match(order?.body ?? '', /1\.234,56\s€/, 'German number format');
      const reminder = items.find((item) => item.type === 'todo_reminder');
      const expected = new Intl.DateTimeFormat('de-DE', {
        dateStyle: 'medium',
        timeStyle: 'short',
        timeZone: 'Europe/Berlin',
      }).format(due);
      assert.equal(reminder?.body, `"Steuererklärung" is due ${expected}.`);
      assert.equal(reminder?.title, 'Reminder: Steuererklärung');
    });

    test('a todo with a due date becomes a reminder only when due, once; completing or deleting cancels it', async () => {
      const user = await newUser(svc());
      await registered(svc(), user);
      const past = new Date(Date.now() - 1_000).toISOString();
      const future = new Date(Date.now() + 3_600_000).toISOString();
      const due = events.todoCreated(user, 'Due already', past);
      const later = events.todoCreated(user, 'Due later', future);
      const none = events.todoCreated(user, 'No date', null);
      const completed = events.todoCreated(user, 'Done first', past);
      const deleted = events.todoCreated(user, 'Deleted first', past);
      for (const event of [due, later, none, completed, deleted]) await deliverTwice(svc(), event);
      const complete = events.todoCompleted(user, completed.subject!);
      const remove = events.todoDeleted(user, deleted.subject!);
      await svc().bus.publish([complete, remove]);
      for (const event of [due, later, none, completed, deleted, complete, remove])
        await processed(svc(), 'notifications_reminders', event.id);
      assert.equal((await listOf(svc(), user)).length, 1, 'only the welcome: reminders wait');

      const first = await dueReminders(svc());
      assert.equal(first.statusCode, 200, first.body);
      assert.ok(first.json().sent >= 1);
      const second = await dueReminders(svc());
      assert.deepEqual(second.json(), { sent: 0 }, 'each reminder goes out once');

      const items = await visible(svc(), user, 2);
      const reminders = items.filter((item) => item.type === 'todo_reminder');
      assert.deepEqual(
        reminders.map((item) => item.title),
        ['Reminder: Due already'],
      );
      const rows = await database(svc())
        .db.selectFrom('reminders')
        .select(['title', 'status'])
        .where('user_id', '=', user.userId)
        .orderBy('title')
        .execute();
      assert.deepEqual(rows, [
        { title: 'Deleted first', status: 'cancelled' },
        { title: 'Done first', status: 'cancelled' },
        { title: 'Due already', status: 'sent' },
        { title: 'Due later', status: 'pending' },
      ]);
    });

    test('a completion applied before its creation still cancels the reminder', async () => {
      const user = await newUser(svc());
      const todoId = randomUUID();
      const complete = events.todoCompleted(user, todoId);
      await svc().bus.publish([complete]);
      await processed(svc(), 'notifications_reminders', complete.id);
      const created = events.todoCreated(
        user,
        'Late',
        new Date(Date.now() - 1000).toISOString(),
        todoId,
      );
      await svc().bus.publish([created]);
      await processed(svc(), 'notifications_reminders', created.id);
      await dueReminders(svc());
      const row = await database(svc())
        .db.selectFrom('reminders')
        .select('status')
        .where('todo_id', '=', todoId)
        .executeTakeFirst();
      assert.equal(row?.status, 'cancelled');
    });

    test('an updated todo moves, cancels, re-arms or renames its reminder; older news changes nothing', async () => {
      const user = await newUser(svc());
      const hour = 3_600_000;
      const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
      const reminderOf = (todoId: string) =>
        database(svc())
          .db.selectFrom('reminders')
          .select(['title', 'status', 'due_at'])
          .where('todo_id', '=', todoId)
          .executeTakeFirst();
      const apply = async (...list: CloudEvent[]) => {
        for (const event of list) {
          await svc().bus.publish([event]);
          await processed(svc(), 'notifications_reminders', event.id);
        }
      };
      const open = { done: false };

      // Moved from the past (would go out now) to tomorrow: nothing goes out now.
      const moved = events.todoCreated(user, 'Moved', at(-1_000));
      await apply(
        moved,
        events.todoUpdated(user, moved.subject!, {
          title: 'Moved',
          dueAt: at(24 * hour),
          ...open,
          changed: ['dueAt'],
        }),
      );
      // Cleared: cancelled. Done: cancelled. Then reopened with a date: pending again.
      const cleared = events.todoCreated(user, 'Cleared', at(hour));
      const reopened = events.todoCreated(user, 'Reopened', at(hour));
      await apply(
        cleared,
        reopened,
        events.todoUpdated(user, cleared.subject!, {
          title: 'Cleared',
          dueAt: null,
          ...open,
          changed: ['dueAt'],
        }),
        events.todoUpdated(user, reopened.subject!, {
          title: 'Reopened',
          dueAt: at(hour),
          done: true,
          changed: ['done'],
        }),
      );
      assert.equal((await reminderOf(cleared.subject!))?.status, 'cancelled');
      assert.equal((await reminderOf(reopened.subject!))?.status, 'cancelled');
      await apply(
        events.todoUpdated(user, reopened.subject!, {
          title: 'Reopened, due now',
          dueAt: at(-1_000),
          ...open,
          changed: ['title', 'done', 'dueAt'],
        }),
      );
      // A date set later on a todo created without one.
      const dated = events.todoCreated(user, 'Dated later', null);
      await apply(
        dated,
        events.todoUpdated(user, dated.subject!, {
          title: 'Dated later',
          dueAt: at(-1_000),
          ...open,
          changed: ['dueAt'],
        }),
      );
      // A retried, older update applied after a newer one: the newer stands.
      const raced = events.todoCreated(user, 'Raced', at(hour));
      const older = events.todoUpdated(
        user,
        raced.subject!,
        { title: 'Raced, old date', dueAt: at(-1_000), ...open, changed: ['title', 'dueAt'] },
        new Date(Date.now() - 60_000),
      );
      const newer = events.todoUpdated(user, raced.subject!, {
        title: 'Raced',
        dueAt: at(2 * hour),
        ...open,
        changed: ['dueAt'],
      });
      await apply(raced, newer, older);

      const sent = await dueReminders(svc());
      assert.equal(sent.statusCode, 200, sent.body);
      assert.ok(sent.json().sent >= 2, 'the reopened one and the one dated later');
      const titles = (await visible(svc(), user, 2)).map((item) => item.title).sort();
      assert.deepEqual(titles, ['Reminder: Dated later', 'Reminder: Reopened, due now']);
      assert.equal((await reminderOf(moved.subject!))?.status, 'pending');
      const kept = await reminderOf(raced.subject!);
      assert.equal(kept?.title, 'Raced');
      assert.equal(kept?.status, 'pending');

      // A sent reminder: a new title keeps it sent; a new date schedules it again.
      await apply(
        events.todoUpdated(user, dated.subject!, {
          title: 'Dated, renamed',
          dueAt: (await reminderOf(dated.subject!))!.due_at.toISOString(),
          ...open,
          changed: ['title'],
        }),
      );
      assert.equal((await reminderOf(dated.subject!))?.status, 'sent');
      await apply(
        events.todoUpdated(user, dated.subject!, {
          title: 'Dated, renamed',
          dueAt: at(-500),
          ...open,
          changed: ['dueAt'],
        }),
      );
      assert.ok((await dueReminders(svc())).json().sent >= 1);
      assert.equal((await reminderOf(dated.subject!))?.status, 'sent');
      const again = (await visible(svc(), user, 3)).filter(
        (item) => item.title === 'Reminder: Dated, renamed',
      );
      assert.equal(again.length, 1, 'reminded again for the new date');
    });

    test('a deleted todo restored gets its reminder back', async () => {
      const user = await newUser(svc());
      const created = events.todoCreated(
        user,
        'Back again',
        new Date(Date.now() - 1_000).toISOString(),
      );
      const deleted = events.todoDeleted(user, created.subject!);
      const restored = events.todoRestored(user, created.subject!, {
        title: 'Back again',
        dueAt: (created.data as { dueAt: string }).dueAt,
        done: false,
      });
      for (const event of [created, deleted, restored]) {
        await svc().bus.publish([event]);
        await processed(svc(), 'notifications_reminders', event.id);
      }
      assert.ok((await dueReminders(svc())).json().sent >= 1);
      const [reminder] = await visible(svc(), user, 1);
      assert.equal(reminder?.title, 'Reminder: Back again');
    });

    test('an event older than NOTIFICATIONS_MAX_EVENT_AGE_HOURS (72) makes no notification', async () => {
      const user = await newUser(svc());
      await registered(svc(), user);
      const stale = {
        ...events.orderConfirmed(user),
        time: new Date(Date.now() - 73 * 3_600_000).toISOString(),
      };
      const fresh = events.orderConfirmed(user);
      await svc().bus.publish([stale, fresh]);
      await processed(svc(), 'notifications_orders', stale.id);
      await visible(svc(), user, 2);
      assert.equal((await rowsOf(svc(), stale.id)).length, 0);
      assert.equal((await rowsOf(svc(), fresh.id)).length, 1);
    });

    test('the due-reminders route takes only a service token', async () => {
      const user = await newUser(svc());
      const response = await svc().app.inject({
        method: 'POST',
        url: '/internal/notifications/due-reminders',
        headers: { authorization: `Bearer ${user.token}` },
      });
      assert.equal(response.statusCode, 401);
    });
  });
}
