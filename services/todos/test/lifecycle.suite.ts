import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { addTodo, call, database, newUser, type TodosService } from './support/harness.ts';

export function lifecycleBehaviours(svc: () => TodosService): void {
  describe('soft delete, restore and history', () => {
    test('DELETE hides the todo from get and list but keeps it with who and when; restore brings it back', async () => {
      const user = await newUser();
      const todo = await addTodo(svc(), user, { title: 'Temporary' });
      const deleted = await call(svc(), 'DELETE', `/${todo.id}`, { token: user.token });
      assert.equal(deleted.statusCode, 204);
      assert.equal(deleted.body, '');

      const get = await call(svc(), 'GET', `/${todo.id}`, { token: user.token });
      assert.equal(get.statusCode, 404);
      assert.equal(get.json().code, 'TODOS_NOT_FOUND');
      assert.deepEqual((await call(svc(), 'GET', '', { token: user.token })).json().items, []);
      const again = await call(svc(), 'DELETE', `/${todo.id}`, { token: user.token });
      assert.equal(again.statusCode, 404, 'already deleted');
      const patch = await call(svc(), 'PATCH', `/${todo.id}`, {
        token: user.token,
        payload: { done: true },
      });
      assert.equal(patch.statusCode, 404, 'a deleted todo cannot be changed');

      const row = await database(svc())
        .db.selectFrom('todos')
        .selectAll()
        .where('id', '=', todo.id)
        .executeTakeFirstOrThrow();
      assert.equal(row.deleted_by, user.userId);
      assert.ok(row.deleted_at instanceof Date);

      const restored = await call(svc(), 'POST', `/${todo.id}/restore`, { token: user.token });
      assert.equal(restored.statusCode, 200);
      assert.equal(restored.headers.etag, '"3"');
      assert.equal(restored.json().title, 'Temporary');
      assert.equal(
        (await call(svc(), 'GET', `/${todo.id}`, { token: user.token })).statusCode,
        200,
      );
      assert.equal((await call(svc(), 'GET', '', { token: user.token })).json().items.length, 1);

      // Restoring what is live changes nothing: a retried restore gets the same answer.
      const twice = await call(svc(), 'POST', `/${todo.id}/restore`, { token: user.token });
      assert.equal(twice.statusCode, 200);
      assert.deepEqual(twice.json(), restored.json());
      const unknown = await call(svc(), 'POST', `/${randomUUID()}/restore`, { token: user.token });
      assert.equal(unknown.statusCode, 404);
    });

    test('GET /:id/history answers every change, oldest first: who, when, what', async () => {
      const user = await newUser();
      const todo = await addTodo(svc(), user, {
        title: 'Plan',
        dueAt: '2030-05-01T09:00:00.000Z',
      });
      await call(svc(), 'PATCH', `/${todo.id}`, {
        token: user.token,
        payload: { title: 'Plan trip', done: true },
      });
      await call(svc(), 'PATCH', `/${todo.id}`, { token: user.token, payload: {} });
      await call(svc(), 'DELETE', `/${todo.id}`, { token: user.token });

      const whileDeleted = await call(svc(), 'GET', `/${todo.id}/history`, { token: user.token });
      assert.equal(whileDeleted.statusCode, 200, 'the trail explains a deletion');
      await call(svc(), 'POST', `/${todo.id}/restore`, { token: user.token });

      const response = await call(svc(), 'GET', `/${todo.id}/history`, { token: user.token });
      assert.equal(response.statusCode, 200);
      const history = response.json();
      assert.deepEqual(
        history.map((entry: { action: string; actorId: string; changes: unknown }) => [
          entry.action,
          entry.actorId,
          entry.changes,
        ]),
        [
          [
            'created',
            user.userId,
            {
              title: { from: null, to: 'Plan' },
              description: { from: null, to: null },
              dueAt: { from: null, to: '2030-05-01T09:00:00.000Z' },
            },
          ],
          [
            'updated',
            user.userId,
            { title: { from: 'Plan', to: 'Plan trip' }, done: { from: false, to: true } },
          ],
          ['deleted', user.userId, {}],
          ['restored', user.userId, {}],
        ],
        'the empty PATCH changed nothing, so it wrote nothing',
      );
      const times = history.map((entry: { at: string }) => Date.parse(entry.at));
      assert.deepEqual(
        times,
        [...times].sort((a, b) => a - b),
      );
      assert.deepEqual(whileDeleted.json(), history.slice(0, 3));
    });

    test('a change that fails writes no history: the trail and the todo commit together', async () => {
      const user = await newUser();
      const todo = await addTodo(svc(), user, { title: 'Atomic' });
      const stale = await call(svc(), 'PATCH', `/${todo.id}`, {
        token: user.token,
        headers: { 'if-match': '"9"' },
        payload: { title: 'Never' },
      });
      assert.equal(stale.statusCode, 412);
      const history = await call(svc(), 'GET', `/${todo.id}/history`, { token: user.token });
      assert.deepEqual(
        history.json().map((entry: { action: string }) => entry.action),
        ['created'],
      );
    });
  });
}
