import type { Transaction } from 'kysely';
import type { TodosDb } from '../data/schema.ts';
import { type Owner, ownerTodos } from '../data/todos.ts';
import { todoDeleted } from '../events/todo-events.ts';
import type { TodosDeps } from './deps.ts';
import { forgetTodos } from './todo-cache.ts';

/**
 * A user was deleted from their tenant: their live todos are soft-deleted, in the name of the
 * admin who deleted the user, each with its history entry and `todos.todo.deleted.v1`. Runs in
 * the consumer's transaction, which also records the event as processed, so a redelivery
 * changes nothing, not even todos the user restored since. Resolves with how many it deleted.
 */
export async function deleteTodosOfDeletedUser(
  deps: TodosDeps,
  trx: Transaction<TodosDb>,
  user: Owner,
  deletedBy: string,
  traceparent?: string,
): Promise<number> {
  const now = deps.now();
  const todos = ownerTodos(trx, user);
  const deleted = await todos.softDeleteAllLive(deletedBy, now);
  await todos.appendHistory(
    deleted.map((row) => ({
      todoId: row.id,
      actorId: deletedBy,
      action: 'deleted' as const,
      changes: {},
      at: now,
    })),
  );
  await deps.events.record(
    trx,
    deleted.map((row) => todoDeleted(deps.events, row, deletedBy, traceparent)),
  );
  // Before commit, as the consumer API offers no after-commit step (see README, "Caching").
  await forgetTodos(
    deps,
    user,
    deleted.map((row) => row.id),
  );
  return deleted.length;
}
