import { type Owner, ownerTodos } from '../data/todos.ts';
import { todoDeleted, todoRestored } from '../events/todo-events.ts';
import type { TodosDeps } from './deps.ts';
import { checkPrecondition } from './precondition.ts';
import { todoNotFound } from './read-todos.ts';
import { forgetTodos } from './todo-cache.ts';
import { type Todo, toTodo } from './todo-view.ts';
import type { WriteOptions } from './update-todo.ts';

/** Soft delete: hidden from lists and reads, kept with who deleted it and when, restorable. */
export async function deleteTodo(
  deps: TodosDeps,
  caller: Owner,
  id: string,
  options: WriteOptions = {},
): Promise<void> {
  const now = deps.now();
  const deleted = await deps.database.transaction(async (trx) => {
    const todos = ownerTodos(trx, caller);
    const current = await todos.lock(id, 'live');
    if (!current) throw todoNotFound();
    checkPrecondition(options.precondition, current);
    const row = await todos.softDelete(current.id, caller.userId, now);
    await todos.appendHistory([
      { todoId: row.id, actorId: caller.userId, action: 'deleted', changes: {}, at: now },
    ]);
    await deps.events.record(
      trx,
      todoDeleted(deps.events, row, caller.userId, options.traceparent),
    );
    return row;
  });
  await forgetTodos(deps, caller, [deleted.id]);
}

/**
 * Brings a deleted todo back and announces `todos.todo.restored.v1`. Restoring a live todo
 * changes nothing and answers it as it is, so a client retrying a restore whose response it
 * lost gets the same answer (and no second event).
 */
export async function restoreTodo(
  deps: TodosDeps,
  caller: Owner,
  id: string,
  options: Pick<WriteOptions, 'traceparent'> = {},
): Promise<Todo> {
  const now = deps.now();
  const todo = await deps.database.transaction(async (trx) => {
    const todos = ownerTodos(trx, caller);
    const current = await todos.lock(id, 'live or deleted');
    if (!current) throw todoNotFound();
    if (current.deleted_at === null) return toTodo(current);
    const row = await todos.restore(current.id, now);
    await todos.appendHistory([
      {
        todoId: row.id,
        actorId: caller.userId,
        action: 'restored',
        changes: {},
        at: now,
      },
    ]);
    await deps.events.record(trx, todoRestored(deps.events, row, options.traceparent));
    return toTodo(row);
  });
  await forgetTodos(deps, caller, [todo.id]);
  return todo;
}
