import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { CloudEvent } from '@lattice/platform';
import { sameTrace } from '@lattice/platform/testing';
import { ownerTodos } from '../src/data/todos.ts';
import {
  addTodo,
  call,
  database,
  newUser,
  outboxEventsAbout,
  type TestUser,
  type TodosService,
  until,
  userDeletedEvent,
} from './support/harness.ts';

const GROUP = 'todos_user-deleted';
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

async function liveTitles(svc: TodosService, user: TestUser): Promise<string[]> {
  const response = await call(svc, 'GET', '?limit=100', { token: user.token });
  return response.json().items.map((todo: { title: string }) => todo.title);
}

export function eventBehaviours(svc: () => TodosService): void {
  describe('events', () => {
    test('created, updated, completed and deleted are recorded with the change, as the contracts describe', async () => {
      const user = await newUser();
      const created = await call(svc(), 'POST', '', {
        token: user.token,
        headers: { traceparent: TRACEPARENT },
        payload: { title: 'Ship it', dueAt: '2030-01-31T17:00:00Z' },
      });
      const id = created.json().id;
      const patch = (payload: object) =>
        call(svc(), 'PATCH', `/${id}`, { token: user.token, payload });
      await patch({ title: 'Ship it now' });
      await patch({ title: 'Ship it now' });
      await patch({ done: true });
      await patch({ done: true });
      await patch({ done: false, dueAt: '2030-02-28T17:00:00Z' });
      await patch({ description: 'with notes' });
      await patch({ done: true });
      await call(svc(), 'DELETE', `/${id}`, { token: user.token });
      await call(svc(), 'POST', `/${id}/restore`, { token: user.token });

      const events = await outboxEventsAbout(svc(), id);
      assert.deepEqual(
        events.map((event) => event.type),
        [
          'lattice.todos.todo.created.v1',
          'lattice.todos.todo.updated.v1',
          'lattice.todos.todo.updated.v1',
          'lattice.todos.todo.completed.v1',
          'lattice.todos.todo.updated.v1',
          'lattice.todos.todo.updated.v1',
          'lattice.todos.todo.updated.v1',
          'lattice.todos.todo.completed.v1',
          'lattice.todos.todo.deleted.v1',
          'lattice.todos.todo.restored.v1',
        ],
        'one updated per change (none when nothing changed), one completed per transition to done',
      );
      const [first, retitled, , completed, reopened, , , , deleted, restored] =
        events as CloudEvent[];
      assert.equal(first!.source, '/lattice/todos');
      assert.equal(first!.subject, id);
      assert.equal(first!.tenantid, user.tenantId);
      assert.match(first!.traceparent ?? '', sameTrace(TRACEPARENT));
      assert.deepEqual(first!.data, {
        todoId: id,
        tenantId: user.tenantId,
        ownerId: user.userId,
        title: 'Ship it',
        dueAt: '2030-01-31T17:00:00.000Z',
      });
      const ids = { todoId: id, tenantId: user.tenantId, ownerId: user.userId };
      assert.deepEqual(retitled!.data, {
        ...ids,
        title: 'Ship it now',
        dueAt: '2030-01-31T17:00:00.000Z',
        done: false,
        changed: ['title'],
      });
      assert.deepEqual(reopened!.data, {
        ...ids,
        title: 'Ship it now',
        dueAt: '2030-02-28T17:00:00.000Z',
        done: false,
        changed: ['done', 'dueAt'],
      });
      assert.ok(
        Date.parse(reopened!.time) >= Date.parse(retitled!.time),
        "an update's time is the change's",
      );
      assert.deepEqual(completed!.data, ids);
      assert.deepEqual(deleted!.data, { ...ids, deletedBy: user.userId });
      assert.deepEqual(restored!.data, {
        ...ids,
        title: 'Ship it now',
        dueAt: '2030-02-28T17:00:00.000Z',
        done: true,
      });
      assert.ok(Date.parse(restored!.time) > Date.parse(deleted!.time), 'after the delete');
      const again = await call(svc(), 'POST', `/${id}/restore`, { token: user.token });
      assert.equal(again.statusCode, 200);
      assert.equal((await outboxEventsAbout(svc(), id)).length, events.length, 'restored once');
    });

    test("a write with a clock behind the todo's still moves its time forward: event times follow commits", async () => {
      const user = await newUser();
      const todo = await addTodo(svc(), user, { title: 'Clocks' });
      const owner = { tenantId: user.tenantId, userId: user.userId };
      const written = await database(svc()).transaction((trx) =>
        ownerTodos(trx, owner).update(todo.id, { title: 'Clocks, later' }, new Date(0)),
      );
      assert.equal(written.updated_at.getTime(), Date.parse(todo.updatedAt) + 1);
      const now = new Date(written.updated_at.getTime() + 60_000);
      const next = await database(svc()).transaction((trx) =>
        ownerTodos(trx, owner).update(todo.id, { title: 'Clocks, now' }, now),
      );
      assert.equal(next.updated_at.getTime(), now.getTime(), 'a clock ahead is taken as it is');
    });

    test('recorded events reach the bus through the outbox relay', async () => {
      const user = await newUser();
      const todo = await addTodo(svc(), user, { title: 'Relayed' });
      await call(svc(), 'PATCH', `/${todo.id}`, { token: user.token, payload: { done: true } });
      const seen: string[] = [];
      const subscription = await svc().bus.subscribe({
        group: `observer_${randomUUID().slice(0, 8)}`,
        subjects: ['todos.todo.*.v1'],
        handler: async ({ event }) => {
          if (event.subject === todo.id) seen.push(event.type);
        },
      });
      try {
        await until(
          async () => seen.length,
          (n) => n >= 3,
        );
        assert.deepEqual(seen, [
          'lattice.todos.todo.created.v1',
          'lattice.todos.todo.updated.v1',
          'lattice.todos.todo.completed.v1',
        ]);
      } finally {
        await subscription.drain();
      }
    });

    test("users.user.deleted.v1 soft-deletes that user's todos only, by the admin, once", async () => {
      const user = await newUser();
      const colleague = await newUser({ tenantId: user.tenantId });
      const twin = await newUser({ userId: user.userId });
      const admin = randomUUID();
      const kept = await addTodo(svc(), user, { title: 'Kept by the user' });
      const cached = await addTodo(svc(), user, { title: 'Cached' });
      const earlier = await addTodo(svc(), user, { title: 'Deleted earlier' });
      await call(svc(), 'DELETE', `/${earlier.id}`, { token: user.token });
      await addTodo(svc(), colleague, { title: "Colleague's" });
      await addTodo(svc(), twin, { title: "Twin's" });
      // Read once, so the todo is in the cache when the event deletes it.
      assert.equal(
        (await call(svc(), 'GET', `/${cached.id}`, { token: user.token })).statusCode,
        200,
      );

      const event = { ...userDeletedEvent(user, admin), traceparent: TRACEPARENT };
      await svc().context.bus!.publish([event]);
      assert.deepEqual(
        await until(
          () => liveTitles(svc(), user),
          (t) => t.length === 0,
        ),
        [],
      );
      assert.equal(
        (await call(svc(), 'GET', `/${cached.id}`, { token: user.token })).statusCode,
        404,
        'the cached copy went with the delete',
      );
      assert.deepEqual(await liveTitles(svc(), colleague), ["Colleague's"]);
      assert.deepEqual(await liveTitles(svc(), twin), ["Twin's"]);

      const rows = await database(svc())
        .db.selectFrom('todos')
        .select(['id', 'deleted_by'])
        .where('id', 'in', [kept.id, cached.id, earlier.id])
        .execute();
      const deletedBy = Object.fromEntries(rows.map((row) => [row.id, row.deleted_by]));
      assert.deepEqual(deletedBy, {
        [kept.id]: admin,
        [cached.id]: admin,
        [earlier.id]: user.userId,
      });
      const history = await call(svc(), 'GET', `/${kept.id}/history`, { token: user.token });
      assert.deepEqual(history.json().at(-1).actorId, admin);
      const [announced] = (await outboxEventsAbout(svc(), kept.id)).filter((e) =>
        e.type.endsWith('deleted.v1'),
      );
      assert.deepEqual(announced?.data, {
        todoId: kept.id,
        tenantId: user.tenantId,
        ownerId: user.userId,
        deletedBy: admin,
      });
      assert.match(announced?.traceparent ?? '', sameTrace(TRACEPARENT));

      // The user's todo comes back (an admin's undo, say); then the same event arrives again,
      // as a broker redelivery would bring it. It must not delete the todo a second time.
      await call(svc(), 'POST', `/${kept.id}/restore`, { token: user.token });
      await svc().bus.publishRaw('users.user.deleted.v1', JSON.stringify(event));
      // A later event, handled after the duplicate (one group, one at a time), marks the moment.
      const marker = await newUser();
      await addTodo(svc(), marker, { title: 'Marker' });
      await svc().context.bus!.publish([userDeletedEvent(marker, admin)]);
      await until(
        () => liveTitles(svc(), marker),
        (t) => t.length === 0,
      );
      assert.deepEqual(await liveTitles(svc(), user), ['Kept by the user']);
    });

    test('a malformed users.user.deleted.v1 is dead-lettered and the consumer keeps working', async () => {
      const user = await newUser();
      await addTodo(svc(), user, { title: 'Survives the poison' });
      const before = svc().bus.deadLetters(GROUP).length;

      await svc().bus.publishRaw('users.user.deleted.v1', '{"specversion":"1.0", not json');
      const good = userDeletedEvent(user, randomUUID());
      const { deletedBy: _, ...incomplete } = good.data as Record<string, unknown>;
      await svc().bus.publishRaw(
        'users.user.deleted.v1',
        JSON.stringify({ ...good, id: randomUUID(), data: incomplete }),
      );
      const letters = await until(
        async () => svc().bus.deadLetters(GROUP).slice(before),
        (l) => l.length >= 2,
      );
      assert.equal(letters.length, 2);
      assert.match(letters[0]!.reason, /malformed JSON/);
      assert.match(letters[1]!.reason, /deletedBy/);
      assert.deepEqual(await liveTitles(svc(), user), ['Survives the poison'], 'nothing applied');

      await svc().context.bus!.publish([good]);
      assert.deepEqual(
        await until(
          () => liveTitles(svc(), user),
          (t) => t.length === 0,
        ),
        [],
      );
    });
  });
}
