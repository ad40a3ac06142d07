// The batch paths, one round at a time: the consumers' `handleBatch` through the kit's batching
// inbox, one publisher round, one mailer round. The service runs with its own loops off
// (NOTIFICATIONS_PROCESSING=false) so each test drives exactly the round it looks at, with the
// same pieces app.ts wires (the real users lookup, the real dev mailbox, the real database).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { batchingInbox, type CloudEvent, uuidv7 } from '@lattice/platform';
import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { writePreference } from '../src/data/preferences.ts';
import type { NotificationsDb } from '../src/data/schema.ts';
import { sendDueEmails } from '../src/delivery/email-sender.ts';
import { devMailboxTransport, type MailTransport } from '../src/delivery/mail-transport.ts';
import type { NotificationsDeps } from '../src/domain/deps.ts';
import { publishPending } from '../src/domain/publish-notifications.ts';
import { usersProfileLookup } from '../src/domain/recipient-profiles.ts';
import { channelsOf } from '../src/domain/wake.ts';
import { notificationConsumers } from '../src/events/consumers.ts';
import { notificationMetrics } from '../src/metrics.ts';
import {
  buildNotifications,
  database,
  databases,
  events,
  type NotificationsService,
  newUser,
  type TestUser,
} from './support/harness.ts';

type Spec = ReturnType<typeof notificationConsumers>[number];

/** The consumer `name` as the kit runs it, with a count of the `handleBatch` calls and sizes. */
function consumer(deps: NotificationsDeps, name: string) {
  const spec = notificationConsumers(deps).find((s) => s.name === name) as Spec;
  const batches: number[] = [];
  const apply = batchingInbox<NotificationsDb, CloudEvent>(
    deps.database,
    `notifications_${name}`,
    spec.handler,
    {
      effectMany: (batch, trx) => {
        batches.push(batch.length);
        return spec.handleBatch!(batch, trx);
      },
    },
  );
  return { apply, batches };
}

/** Handed over together, as the bus hands over deliveries in flight: one inbox batch. */
const together = (apply: (event: CloudEvent) => Promise<boolean>, list: CloudEvent[]) =>
  Promise.allSettled(list.map((event) => apply(event)));

async function rowsFor(svc: NotificationsService, eventIds: string[]) {
  return database(svc)
    .db.selectFrom('notifications')
    .selectAll()
    .where('event_id', 'in', eventIds)
    .execute();
}

async function inboxHas(svc: NotificationsService, consumerName: string, eventId: string) {
  const { rows } =
    await sql`SELECT 1 FROM inbox WHERE consumer = ${consumerName} AND event_id = ${eventId}`.execute(
      database(svc).db,
    );
  return rows.length > 0;
}

for (const { kind, skip } of databases) {
  describe(`batches on ${kind}`, { skip }, () => {
    const cleanups: Array<() => unknown> = [];
    let svc: NotificationsService;
    let deps: NotificationsDeps;
    let users: TestUser[];

    before(async () => {
      svc = await buildNotifications({ after: (fn) => void cleanups.push(fn) }, kind, {
        NOTIFICATIONS_PROCESSING: 'false',
      });
      const { context } = svc;
      const lookup = usersProfileLookup({
        discovery: context.discovery,
        serviceTokens: context.auth.serviceTokens,
        cache: context.cache,
        ttlMs: 1_000,
        timeoutMs: 1_000,
        log: svc.app.log,
      });
      cleanups.push(() => lookup.close());
      const db = database(svc);
      deps = {
        database: db,
        profiles: lookup.lookup,
        defaults: { locale: 'en', timezone: 'UTC' },
        metrics: notificationMetrics(new Registry()),
        log: svc.app.log,
        channels: channelsOf(db.schema),
        maxEventAgeMs: 72 * 3_600_000,
        now: () => new Date(),
        newId: () => uuidv7(),
      };
      // Registered with notifications only: the users service has no profile, so rendering
      // uses the defaults and the name and address learnt from the registration.
      users = await Promise.all([0, 1, 2].map(() => newUser(svc)));
      const accounts = consumer(deps, 'accounts');
      const registered = await together(accounts.apply, users.map(events.registered));
      assert.ok(registered.every((r) => r.status === 'fulfilled' && r.value === true));
      assert.deepEqual(accounts.batches, [3], 'the registrations went in one handleBatch call');
      // Their welcomes, published and mailed, so each test below starts on an empty backlog.
      while (await publishPending(deps));
      await sendDueEmails(deps, mailer(devMailboxTransport(db)));
    });
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    const mailer = (transport: MailTransport) => ({
      transport,
      maxAttempts: 3,
      backoffMs: 50,
      leaseMs: 60_000,
    });

    test('a batch of events stores exactly one notification per event, once, in one handleBatch call', async () => {
      const orders = consumer(deps, 'orders');
      const batch = users.flatMap((user) => [0, 1, 2, 3].map(() => events.orderConfirmed(user)));
      const outcomes = await together(orders.apply, batch);
      assert.deepEqual(
        outcomes.map((o) => o.status === 'fulfilled' && o.value),
        batch.map(() => true),
      );
      assert.deepEqual(orders.batches, [12]);
      const ids = batch.map((event) => event.id);
      const rows = await rowsFor(svc, ids);
      assert.equal(rows.length, 12);
      for (const event of batch) {
        const row = rows.find((r) => r.event_id === event.id);
        const data = event.data as { customerId: string; orderId: string };
        assert.equal(row?.user_id, data.customerId);
        assert.equal(row?.type, 'order_confirmed');
        assert.equal(row?.created_at, null, 'stored for the publisher, not published yet');
      }

      const again = await together(orders.apply, batch);
      assert.ok(
        again.every((o) => o.status === 'fulfilled' && o.value === false),
        'a redelivered batch is skipped by the inbox',
      );
      assert.equal((await rowsFor(svc, ids)).length, 12);
    });

    test('the same event twice in one batch is applied once', async () => {
      const orders = consumer(deps, 'orders');
      const event = events.orderConfirmed(users[0]!);
      const outcomes = await together(orders.apply, [event, structuredClone(event)]);
      assert.deepEqual(
        outcomes.map((o) => o.status === 'fulfilled' && o.value),
        [true, false],
      );
      assert.deepEqual(orders.batches, [1]);
      assert.equal((await rowsFor(svc, [event.id])).length, 1);
    });

    test('an event that makes its batch fail: the others are applied one by one, it alone is refused', async () => {
      const orders = consumer(deps, 'orders');
      const good = [events.orderConfirmed(users[0]!), events.orderConfirmed(users[1]!)];
      // A type the orders consumer does not take: the whole batch's effect throws.
      const bad = { ...events.orderConfirmed(users[2]!), type: 'lattice.orders.order.lost.v1' };
      const outcomes = await together(orders.apply, [good[0]!, bad, good[1]!]);
      assert.deepEqual(orders.batches, [3], 'tried as one batch first');
      assert.equal(outcomes[0]?.status === 'fulfilled' && outcomes[0].value, true);
      assert.equal(outcomes[2]?.status === 'fulfilled' && outcomes[2].value, true);
      assert.equal(outcomes[1]?.status, 'rejected');
      assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /does not consume/);
      const rows = await rowsFor(svc, [good[0]!.id, good[1]!.id, bad.id]);
      assert.deepEqual(rows.map((r) => r.event_id).sort(), [good[0]!.id, good[1]!.id].sort());
      assert.equal(await inboxHas(svc, 'notifications_orders', bad.id), false, 'to be retried');
      assert.equal(await inboxHas(svc, 'notifications_orders', good[0]!.id), true);
    });

    test("one publisher round publishes a batch with each recipient's own preferences, and queues each email once", async () => {
      const [plain, noEmail, noInApp] = users as [TestUser, TestUser, TestUser];
      const db = database(svc).db;
      await writePreference(db, noEmail, 'order_cancelled', { inApp: true, email: false });
      await writePreference(db, noInApp, 'order_cancelled', { inApp: false, email: true });
      const orders = consumer(deps, 'orders');
      const batch = [plain, noEmail, noInApp].map((user) =>
        events.orderCancelled(user, 'payment_declined'),
      );
      await together(orders.apply, batch);
      // The rows of the earlier tests are in the backlog too: this round takes them all.
      assert.equal(await publishPending(deps), false, 'less than a full batch');
      const rows = await rowsFor(
        svc,
        batch.map((event) => event.id),
      );
      const emails = await db
        .selectFrom('email_deliveries')
        .select(['notification_id', 'to_address', 'subject', 'status'])
        .where(
          'notification_id',
          'in',
          rows.map((row) => row.id),
        )
        .execute();
      for (const [user, inApp, mailed] of [
        [plain, true, true],
        [noEmail, true, false],
        [noInApp, false, true],
      ] as const) {
        const row = rows.find((r) => r.user_id === user.userId);
        assert.ok(row?.created_at, 'published');
        assert.equal(row?.in_app, inApp, `in-app for ${user.userId}`);
        assert.match(row?.body ?? '', /was cancelled because your payment was declined\.$/);
        const email = emails.filter((e) => e.notification_id === row?.id);
        assert.equal(email.length, mailed ? 1 : 0, `email for ${user.userId}`);
        if (mailed) {
          assert.equal(email[0]?.to_address, user.email, 'the address from the registration');
          assert.equal(email[0]?.subject, row?.title);
        }
      }
      const { rows: backlog } =
        await sql`SELECT count(*)::int AS n FROM notifications WHERE created_at IS NULL`.execute(
          db,
        );
      assert.deepEqual(backlog, [{ n: 0 }]);
      assert.equal(await publishPending(deps), false);
      const after = await db
        .selectFrom('email_deliveries')
        .select('id')
        .where(
          'notification_id',
          'in',
          rows.map((row) => row.id),
        )
        .execute();
      assert.equal(after.length, emails.length, 'a second round queues nothing again');
    });

    test('the dev mailbox: one mailer round takes the due emails as sent and writes each once', async () => {
      const db = database(svc).db;
      const due = await db
        .selectFrom('email_deliveries')
        .select(['id', 'subject', 'to_address'])
        .where('status', '=', 'pending')
        .execute();
      assert.ok(due.length >= 2, `emails are queued (${due.length})`);
      assert.equal(await sendDueEmails(deps, mailer(devMailboxTransport(database(svc)))), false);
      const sent = await db
        .selectFrom('email_deliveries')
        .select(['id', 'status', 'attempts', 'sent_at'])
        .where(
          'id',
          'in',
          due.map((row) => row.id),
        )
        .execute();
      for (const row of sent) {
        assert.equal(row.status, 'sent');
        assert.equal(row.attempts, 1);
        assert.ok(row.sent_at);
      }
      const mailbox = await db
        .selectFrom('dev_mailbox')
        .select(['id', 'subject', 'to_address'])
        .where(
          'id',
          'in',
          due.map((row) => row.id),
        )
        .execute();
      assert.deepEqual(
        mailbox.sort((a, b) => a.id.localeCompare(b.id)),
        due.sort((a, b) => a.id.localeCompare(b.id)),
      );
      assert.equal(await sendDueEmails(deps, mailer(devMailboxTransport(database(svc)))), false);
      const { rows } =
        await sql`SELECT count(*)::int AS n FROM dev_mailbox WHERE id = ANY(${due.map((r) => r.id)}::uuid[])`.execute(
          db,
        );
      assert.deepEqual(rows, [{ n: due.length }], 'nothing written twice');
    });

    test('when writing the batch to the dev mailbox fails, the round sends one by one and records each attempt', async () => {
      const db = database(svc);
      const orders = consumer(deps, 'orders');
      const event = events.orderConfirmed(users[0]!, randomUUID());
      await together(orders.apply, [event]);
      await publishPending(deps);
      const real = devMailboxTransport(db);
      let batchTries = 0;
      const failingBatch: MailTransport = {
        kind: 'dev-mailbox',
        send: (mail) => real.send(mail),
        async deliverInTransaction() {
          batchTries++;
          throw new Error('dev mailbox unavailable');
        },
        close: () => {},
      };
      await sendDueEmails(deps, mailer(failingBatch));
      assert.equal(batchTries, 1);
      const [row] = await rowsFor(svc, [event.id]);
      const delivery = await db.db
        .selectFrom('email_deliveries')
        .select(['id', 'status', 'attempts'])
        .where('notification_id', '=', row!.id)
        .executeTakeFirstOrThrow();
      assert.deepEqual(
        { status: delivery.status, attempts: delivery.attempts },
        { status: 'sent', attempts: 1 },
        'the failed transaction counted nothing; the leased send counted its attempt',
      );
      const mail = await db.db
        .selectFrom('dev_mailbox')
        .select('id')
        .where('id', '=', delivery.id)
        .execute();
      assert.equal(mail.length, 1);
    });
  });
}
