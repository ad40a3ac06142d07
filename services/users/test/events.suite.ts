import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { type CloudEvent, consumerGroup } from '@lattice/platform';
import { sameTrace } from '@lattice/platform/testing';
import { sql } from 'kysely';
import { MalformedEventError } from '../src/events/user-registered.ts';
import {
  addTenantAdmin,
  addUser,
  applyRegistration,
  call,
  database,
  eventually,
  outboxEventsAbout,
  processed,
  registeredEvent,
  type UsersService,
  watchBus,
} from './support/harness.ts';

const PROFILES = consumerGroup('users', 'profiles');
const REGISTERED_SUBJECT = 'auth.user.registered.v1';

async function profileRows(svc: UsersService, id: string) {
  return database(svc).db.selectFrom('profiles').selectAll().where('id', '=', id).execute();
}

async function inboxRows(svc: UsersService, eventId: string) {
  const { rows } =
    await sql`SELECT 1 FROM inbox WHERE consumer = ${PROFILES} AND event_id = ${eventId}`.execute(
      database(svc).db,
    );
  return rows.length;
}

export function eventBehaviours(svc: () => UsersService): void {
  describe('events', () => {
    test('lattice.auth.user.registered.v1 on the bus creates the profile; a duplicate delivery applies once', async () => {
      const user = { userId: randomUUID(), tenantId: randomUUID(), roles: ['admin'] };
      const event = registeredEvent({ ...user, name: 'First' });
      // Raw publishes bypass the broker's deduplication: the consumer gets the event twice.
      await svc().bus.publishRaw(REGISTERED_SUBJECT, JSON.stringify(event));
      await svc().bus.publishRaw(REGISTERED_SUBJECT, JSON.stringify(event));
      await processed(svc(), PROFILES, event.id);
      // The same registration under another event id (a re-publish, a replay): still once.
      const replay = registeredEvent({ ...user, name: 'Second', roles: ['member'] });
      await svc().bus.publish([replay]);
      await processed(svc(), PROFILES, replay.id);

      const rows = await profileRows(svc(), user.userId);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.name, 'First');
      assert.deepEqual(rows[0]?.roles, ['admin']);
      assert.equal(rows[0]?.created_at.toISOString(), event.time, 'created at registration time');
      assert.equal(await inboxRows(svc(), event.id), 1);
      assert.equal(svc().bus.deadLetters(PROFILES).length, 0);
    });

    test('applyUserRegistered applies once: a redelivery, even altered, changes nothing', async () => {
      const user = { userId: randomUUID(), tenantId: randomUUID(), roles: ['admin'] };
      const event = registeredEvent({ ...user, name: 'First' });
      assert.equal(await applyRegistration(svc(), event), 'created');
      assert.equal(await applyRegistration(svc(), event), 'duplicate');
      const replay = registeredEvent({ ...user, name: 'Second', roles: ['member'] });
      assert.equal(await applyRegistration(svc(), replay), 'duplicate');

      const rows = await profileRows(svc(), user.userId);
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.name, 'First');
      assert.deepEqual(rows[0]?.roles, ['admin']);
    });

    test('concurrent deliveries of one registration create one profile', async () => {
      const event = registeredEvent({
        userId: randomUUID(),
        tenantId: randomUUID(),
        roles: ['member'],
      });
      const results = await Promise.all(
        Array.from({ length: 5 }, () => applyRegistration(svc(), event)),
      );
      assert.deepEqual(results.filter((r) => r === 'created').length, 1);
      assert.equal((await profileRows(svc(), event.subject)).length, 1);
    });

    test('a registration redelivered after the user was deleted does not bring them back', async () => {
      const admin = await addTenantAdmin(svc());
      const user = await addUser(svc(), { tenantId: admin.tenantId });
      await call(svc(), 'DELETE', `/${user.userId}`, { token: admin.token });
      const redelivered = registeredEvent(user);
      await svc().bus.publish([redelivered]);
      await processed(svc(), PROFILES, redelivered.id);
      const get = await call(svc(), 'GET', `/${user.userId}`, { token: admin.token });
      assert.equal(get.statusCode, 404);
    });

    test('a malformed registration is refused with a reason and writes nothing', async () => {
      const good = registeredEvent({
        userId: randomUUID(),
        tenantId: randomUUID(),
        roles: ['member'],
      });
      const data = good.data as Record<string, unknown>;
      const poisoned = [
        { ...good, type: 'lattice.auth.user.deleted.v1' },
        { ...good, data: { ...data, userId: 'not-a-uuid' } },
        { ...good, data: { ...data, roles: 'admin' } },
        { ...good, data: { ...data, email: undefined } },
        { ...good, data: null },
        { ...good, tenantid: randomUUID() },
        { ...good, time: 'soon' },
      ];
      for (const event of poisoned) {
        await assert.rejects(
          applyRegistration(svc(), event),
          MalformedEventError,
          JSON.stringify(event),
        );
      }
      assert.equal((await profileRows(svc(), good.subject)).length, 0);
    });

    test('a registration the contract allows but this service cannot store is retried, then dead-lettered; the consumer goes on', async () => {
      const tenantId = randomUUID();
      // The contract asks only for non-empty ids; a profile id must be a UUID.
      const poisoned = registeredEvent({ userId: randomUUID(), tenantId, roles: ['member'] });
      (poisoned.data as { userId: string }).userId = 'u1';
      const next = registeredEvent({ userId: randomUUID(), tenantId, roles: ['member'] });
      await svc().bus.publish([poisoned, next]);
      const letter = await eventually('the dead letter', async () =>
        svc()
          .bus.deadLetters(PROFILES)
          .find((d) => (d.event as CloudEvent | undefined)?.id === poisoned.id),
      );
      assert.equal(letter.deliveryCount, 5);
      assert.match(letter.reason, /malformed: data\/userId/);
      assert.equal(await inboxRows(svc(), poisoned.id), 0, 'never recorded as processed');
      await processed(svc(), PROFILES, next.id);
      assert.equal((await profileRows(svc(), next.subject)).length, 1);
    });

    test('DELETE publishes lattice.users.user.deleted.v1, the contract data exactly, via the outbox', async () => {
      const watch = await watchBus(svc(), ['users.user.deleted.v1']);
      const admin = await addTenantAdmin(svc());
      const user = await addUser(svc(), { tenantId: admin.tenantId });
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const response = await svc().app.inject({
        method: 'DELETE',
        url: `/api/v1/users/${user.userId}`,
        headers: { authorization: `Bearer ${admin.token}`, traceparent },
      });
      assert.equal(response.statusCode, 204);

      const published = await watch.about(user.userId);
      await watch.stop();
      const { id, time, traceparent: carried, ...event } = published;
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/, 'a UUIDv7');
      assert.match(
        carried ?? '',
        sameTrace(traceparent),
        'the event continues the request’s trace',
      );
      const row = await profileRows(svc(), user.userId);
      assert.equal(time, row[0]?.deleted_at?.toISOString(), 'time is the deletion time');
      assert.deepEqual(event, {
        specversion: '1.0',
        source: '/lattice/users',
        type: 'lattice.users.user.deleted.v1',
        subject: user.userId,
        tenantid: admin.tenantId,
        datacontenttype: 'application/json',
        dataschema: 'urn:lattice:schema:lattice.users.user.deleted.v1',
        data: { userId: user.userId, tenantId: admin.tenantId, deletedBy: admin.userId },
      });
      const rows = await outboxEventsAbout(svc(), user.userId);
      assert.deepEqual(
        rows.map((r) => [r.id, r.type]),
        [[id, 'lattice.users.user.deleted.v1']],
      );
    });

    test('a refused delete records no event: self, unknown, another tenant, already deleted', async () => {
      const admin = await addTenantAdmin(svc());
      const stranger = await addTenantAdmin(svc());
      const gone = await addUser(svc(), { tenantId: admin.tenantId });
      assert.equal(
        (await call(svc(), 'DELETE', `/${gone.userId}`, { token: admin.token })).statusCode,
        204,
      );
      const attempts: Array<[string, number]> = [
        [admin.userId, 409],
        [randomUUID(), 404],
        [stranger.userId, 404],
        [gone.userId, 404],
      ];
      for (const [id, status] of attempts) {
        const response = await call(svc(), 'DELETE', `/${id}`, { token: admin.token });
        assert.equal(response.statusCode, status, id);
      }
      assert.equal((await outboxEventsAbout(svc(), admin.userId)).length, 0);
      assert.equal((await outboxEventsAbout(svc(), stranger.userId)).length, 0);
      assert.equal((await outboxEventsAbout(svc(), gone.userId)).length, 1, 'only the first');
    });

    test('when the event cannot be recorded the delete rolls back: 500, and the user stays', async () => {
      const admin = await addTenantAdmin(svc());
      const user = await addUser(svc(), { tenantId: admin.tenantId });
      const db = database(svc()).db;
      // The outbox refuses this one user's event, as a full disk or a lost connection would.
      const constraint = sql.id(`refuse_${user.userId.replaceAll('-', '')}`);
      await sql`ALTER TABLE outbox ADD CONSTRAINT ${constraint} CHECK (aggregate <> ${sql.lit(user.userId)})`.execute(
        db,
      );
      try {
        const response = await call(svc(), 'DELETE', `/${user.userId}`, { token: admin.token });
        assert.equal(response.statusCode, 500);
        assert.doesNotMatch(response.body, /constraint|outbox/i, '5xx never leak internals');
      } finally {
        await sql`ALTER TABLE outbox DROP CONSTRAINT ${constraint}`.execute(db);
      }
      const get = await call(svc(), 'GET', `/${user.userId}`, { token: admin.token });
      assert.equal(get.statusCode, 200);
      assert.equal((await profileRows(svc(), user.userId))[0]?.deleted_at, null);
      assert.equal((await outboxEventsAbout(svc(), user.userId)).length, 0);
    });
  });
}
