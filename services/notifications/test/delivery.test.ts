// Email over a real SMTP server (started here with the smtp-server package), its retries and
// failures, with the users service down from the start: every notification is rendered with
// the defaults (en, UTC) and still goes out, in the app and by mail.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import {
  buildNotifications,
  database,
  databases,
  dueReminders,
  events,
  eventually,
  listOf,
  type NotificationsService,
  newUser,
  visible,
} from './support/harness.ts';
import { startSmtpSink } from './support/smtp-sink.ts';

async function deliveryRow(svc: NotificationsService, to: string) {
  return database(svc)
    .db.selectFrom('email_deliveries')
    .select(['status', 'attempts', 'last_error', 'subject'])
    .where('to_address', '=', to)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

for (const { kind, skip } of databases) {
  describe(`email and a users outage on ${kind}`, { skip }, () => {
    const cleanups: Array<() => unknown> = [];
    let svc: NotificationsService;
    let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
    before(async () => {
      // Flaky mailboxes fail twice then accept; bouncing ones never accept.
      smtp = await startSmtpSink(
        (to, attempt) =>
          to.some((address) => address.startsWith('bounce-')) ||
          (to.some((address) => address.startsWith('flaky-')) && attempt <= 2),
      );
      cleanups.push(() => smtp.close());
      svc = await buildNotifications({ after: (fn) => void cleanups.push(fn) }, kind, {
        SMTP_URL: smtp.url,
        SMTP_FROM: 'Lattice <no-reply@lattice.test>',
        NOTIFICATIONS_EMAIL_MAX_ATTEMPTS: '3',
      });
      // The users service is down for this whole file: its port refuses connections.
      await svc.users.close();
    });
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    test('users down: the notification is stored, shown and mailed, rendered with en and UTC', async () => {
      const user = await newUser(svc, { name: 'Ada' });
      await svc.bus.publish([events.registered(user)]);
      await visible(svc, user, 1);
      await svc.bus.publish([events.orderConfirmed(user)]);
      const items = await visible(svc, user, 2);
      const order = items.find((item) => item.type === 'order_confirmed');
      assert.match(order?.body ?? '', /of €25\.98 is paid/, 'en money format');

      const mail = await eventually('the order mail at the SMTP server', async () =>
        smtp.received.find((m) => m.to.includes(user.email) && /confirmed/.test(m.subject)),
      );
      assert.equal(mail.subject, order?.title);
      assert.equal(mail.text.trimEnd(), `Hello Ada,\n\n${order?.body}\n\n— Lattice`);
      const welcome = await eventually('the welcome mail', async () =>
        smtp.received.find((m) => m.to.includes(user.email) && m.subject === 'Welcome to Lattice'),
      );
      assert.match(welcome.text, /Welcome aboard, Ada!/);
      await eventually('both deliveries recorded as sent', async () => {
        const rows = await database(svc)
          .db.selectFrom('email_deliveries')
          .select('status')
          .where('to_address', '=', user.email)
          .execute();
        return rows.length === 2 && rows.every((row) => row.status === 'sent') ? true : undefined;
      });
    });

    test('users down: a reminder is rendered in UTC', async () => {
      const user = await newUser(svc);
      await svc.bus.publish([events.registered(user)]);
      const due = new Date(Date.now() - 60_000);
      await svc.bus.publish([events.todoCreated(user, 'Pay rent', due.toISOString())]);
      await eventually('the reminder stored', async () => {
        const { rows } = await sql`SELECT 1 FROM reminders WHERE user_id = ${user.userId}`.execute(
          database(svc).db,
        );
        return rows.length > 0 ? true : undefined;
      });
      const sent = await dueReminders(svc);
      assert.equal(sent.statusCode, 200);
      const items = await visible(svc, user, 2);
      const reminder = items.find((item) => item.type === 'todo_reminder');
      const utc = new Intl.DateTimeFormat('en', {
        dateStyle: 'medium',
        timeStyle: 'short',
        timeZone: 'UTC',
      }).format(due);
      assert.equal(reminder?.body, `"Pay rent" is due ${utc}.`);
    });

    test('a temporary SMTP failure is retried with backoff until accepted, and recorded', async () => {
      const user = await newUser(svc, { emailPrefix: 'flaky' });
      await svc.bus.publish([events.registered(user)]);
      await visible(svc, user, 1);
      const row = await eventually('the mail sent after retries', async () => {
        const current = await deliveryRow(svc, user.email);
        return current?.status === 'sent' ? current : undefined;
      });
      assert.equal(row.attempts, 3);
      assert.match(row.last_error ?? '', /451/, "the last failure's reply stays on record");
      assert.equal(smtp.attemptsFor(user.email), 3);
      assert.equal(smtp.received.filter((m) => m.to.includes(user.email)).length, 1);
    });

    test('an email that keeps failing is recorded as failed; the in-app notification is there all along', async () => {
      const user = await newUser(svc, { emailPrefix: 'bounce' });
      // With users down, the address comes from the registration event: the order's email can
      // only be queued once that event is in (events of two consumers arrive in any order).
      await svc.bus.publish([events.registered(user)]);
      await visible(svc, user, 1);
      await svc.bus.publish([events.orderConfirmed(user)]);
      const items = await visible(svc, user, 2);
      assert.equal(items.length, 2);
      const failed = await eventually('both mails failed for good', async () => {
        const rows = await database(svc)
          .db.selectFrom('email_deliveries')
          .select(['status', 'attempts', 'last_error'])
          .where('to_address', '=', user.email)
          .execute();
        return rows.length === 2 && rows.every((r) => r.status === 'failed') ? rows : undefined;
      });
      for (const row of failed) {
        assert.equal(row.attempts, 3);
        assert.match(row.last_error ?? '', /mailbox busy/);
      }
      assert.equal((await listOf(svc, user)).length, 2, 'still shown in the app');
      const metrics = await svc.app.inject({ url: '/metrics' });
      assert.match(
        metrics.body,
        /notifications_email_failures_total\{[^}]*type="welcome"[^}]*final="true"[^}]*\} [1-9]/,
      );
      assert.match(metrics.body, /notifications_sent_total\{[^}]*channel="in_app"[^}]*\} [1-9]/);
      assert.match(metrics.body, /notifications_sent_total\{[^}]*channel="email"[^}]*\} [1-9]/);
    });
  });
}
