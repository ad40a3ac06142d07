import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import {
  accessToken,
  addTodo,
  call,
  database,
  newUser,
  type TodosService,
} from './support/harness.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A service token as the auth service mints one for `caller` to call `callee`. */
function serviceToken(caller: string, callee: string): Promise<string> {
  return accessToken(
    { userId: '', tenantId: '', roles: [] },
    {
      sub: `service:${caller}`,
      aud: `urn:lattice:service:${callee}`,
      tid: undefined,
      roles: undefined,
    },
  );
}

async function purge(svc: TodosService, token: string | undefined) {
  return svc.app.inject({
    method: 'POST',
    url: '/internal/todos/purge-deleted',
    payload: {},
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

export function purgeBehaviours(svc: () => TodosService): void {
  describe('POST /internal/todos/purge-deleted', () => {
    test('removes todos deleted longer ago than TODOS_RETENTION_DAYS, with their history; nothing else', async () => {
      const user = await newUser();
      const other = await newUser();
      const oldDeleted = await addTodo(svc(), user, { title: 'Deleted long ago' });
      const otherTenantOld = await addTodo(svc(), other, { title: 'Also long ago' });
      const recentDeleted = await addTodo(svc(), user, { title: 'Deleted last week' });
      const live = await addTodo(svc(), user, { title: 'Still here' });
      for (const [owner, todo] of [
        [user, oldDeleted],
        [other, otherTenantOld],
        [user, recentDeleted],
      ] as const) {
        const deleted = await call(svc(), 'DELETE', `/${todo.id}`, { token: owner.token });
        assert.equal(deleted.statusCode, 204);
      }
      const backdate = (id: string, days: number) =>
        sql`UPDATE todos SET deleted_at = ${new Date(Date.now() - days * DAY_MS)}
          WHERE id = ${id}`.execute(database(svc()).db);
      // The retention is 30 days by default.
      await backdate(oldDeleted.id, 31);
      await backdate(otherTenantOld.id, 45);
      await backdate(recentDeleted.id, 7);

      const response = await purge(svc(), await serviceToken('worker', 'todos'));
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { purged: 2 });

      const remaining = await database(svc())
        .db.selectFrom('todos')
        .select('id')
        .where('id', 'in', [oldDeleted.id, otherTenantOld.id, recentDeleted.id, live.id])
        .execute();
      assert.deepEqual(remaining.map((row) => row.id).sort(), [recentDeleted.id, live.id].sort());
      const history = await database(svc())
        .db.selectFrom('todo_history')
        .select('todo_id')
        .where('todo_id', 'in', [oldDeleted.id, otherTenantOld.id])
        .execute();
      assert.deepEqual(history, [], 'the history of purged todos went with them');
      const restore = await call(svc(), 'POST', `/${recentDeleted.id}/restore`, {
        token: user.token,
      });
      assert.equal(restore.statusCode, 200, 'a todo within retention can still be restored');

      const again = await purge(svc(), await serviceToken('worker', 'todos'));
      assert.deepEqual(again.json(), { purged: 0 });
    });

    test('answers 401 without a service token addressed to todos', async () => {
      const user = await newUser();
      const todo = await addTodo(svc(), user, { title: 'Kept' });
      await call(svc(), 'DELETE', `/${todo.id}`, { token: user.token });
      await sql`UPDATE todos SET deleted_at = ${new Date(Date.now() - 90 * DAY_MS)}
        WHERE id = ${todo.id}`.execute(database(svc()).db);

      for (const token of [undefined, user.token, await serviceToken('worker', 'users')]) {
        const response = await purge(svc(), token);
        assert.equal(response.statusCode, 401);
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      }
      const row = await database(svc())
        .db.selectFrom('todos')
        .select('id')
        .where('id', '=', todo.id)
        .executeTakeFirst();
      assert.ok(row, 'nothing was purged');
      // Leaves no purgeable row behind for other behaviours sharing this service.
      const cleaned = await purge(svc(), await serviceToken('worker', 'todos'));
      assert.deepEqual(cleaned.json(), { purged: 1 });
    });
  });
}
