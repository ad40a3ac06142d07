import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { applyUserRegistered, MalformedEventError } from '../src/events/user-registered.ts';
import {
  addTenantAdmin,
  addUser,
  call,
  database,
  outboxEventsAbout,
  registeredEvent,
  type UsersService,
} from './support/harness.ts';

async function profileRows(svc: UsersService, id: string) {
  return database(svc).db.selectFrom('profiles').selectAll().where('id', '=', id).execute();
}

export function eventBehaviours(svc: () => UsersService): void {
  describe('events', () => {
    test('auth.user.registered.v1 applies once: a redelivery, even altered, changes nothing', async () => {
      const user = { userId: randomUUID(), tenantId: randomUUID(), roles: ['admin'] };
      const event = registeredEvent({ ...user, name: 'First' });
      assert.equal(await applyUserRegistered(svc().context.db, event), 'created');
      assert.equal(await applyUserRegistered(svc().context.db, event), 'duplicate');
      const replay = registeredEvent({ ...user, name: 'Second', roles: ['member'] });
      assert.equal(await applyUserRegistered(svc().context.db, replay), 'duplicate');

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
        Array.from({ length: 5 }, () => applyUserRegistered(svc().context.db, event)),
      );
      assert.deepEqual(results.filter((r) => r === 'created').length, 1);
      assert.equal((await profileRows(svc(), event.subject)).length, 1);
    });

    test('a registration redelivered after the user was deleted does not bring them back', async () => {
      const admin = await addTenantAdmin(svc());
      const user = await addUser(svc(), { tenantId: admin.tenantId });
      await call(svc(), 'DELETE', `/${user.userId}`, { token: admin.token });
      const redelivered = registeredEvent(user);
      assert.equal(await applyUserRegistered(svc().context.db, redelivered), 'duplicate');
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
          applyUserRegistered(svc().context.db, event),
          MalformedEventError,
          JSON.stringify(event),
        );
      }
      assert.equal((await profileRows(svc(), good.subject)).length, 0);
    });

    test('DELETE records users.user.deleted.v1 in the outbox, as a CloudEvent, with the delete', async () => {
      const admin = await addTenantAdmin(svc());
      const user = await addUser(svc(), { tenantId: admin.tenantId });
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const response = await svc().app.inject({
        method: 'DELETE',
        url: `/api/v1/users/${user.userId}`,
        headers: { authorization: `Bearer ${admin.token}`, traceparent },
      });
      assert.equal(response.statusCode, 204);

      const rows = await outboxEventsAbout(svc(), user.userId);
      assert.equal(rows.length, 1);
      const [row] = rows;
      assert.equal(row?.subject, 'users.user.deleted.v1');
      assert.equal(row?.tenant_id, admin.tenantId);
      const { id, time, ...event } = row!.event;
      assert.match(id, /^[0-9a-f-]{36}$/);
      assert.ok(Math.abs(Date.parse(time) - Date.now()) < 60_000);
      assert.deepEqual(event, {
        specversion: '1.0',
        source: '/lattice/users',
        type: 'lattice.users.user.deleted.v1',
        subject: user.userId,
        tenantid: admin.tenantId,
        traceparent,
        datacontenttype: 'application/json',
        data: { userId: user.userId, tenantId: admin.tenantId, deletedBy: admin.userId },
      });
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
      await sql`ALTER TABLE outbox ADD CONSTRAINT ${constraint} CHECK (event->>'subject' <> ${sql.lit(user.userId)})`.execute(
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
