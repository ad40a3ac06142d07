import type { TodoUpdatedV1 } from '@lattice/contracts';
import type { CloudEvent } from '@lattice/platform';
import { type Owner, ownerTodos, type TodoChanges, type TodoRow } from '../data/todos.ts';
import { todoCompleted, todoUpdated } from '../events/todo-events.ts';
import type { TodosDeps } from './deps.ts';
import { checkPrecondition, type Precondition } from './precondition.ts';
import { todoNotFound } from './read-todos.ts';
import { forgetTodos } from './todo-cache.ts';
import { validInstant, validTitle } from './todo-fields.ts';
import { type Todo, toTodo } from './todo-view.ts';

export interface TodoPatch {
  title?: string;
  /** null clears it. */
  description?: string | null;
  done?: boolean;
  /** null clears it. */
  dueAt?: string | null;
}

export interface WriteOptions {
  /** From If-Match: the write happens only if the todo is still at one of these versions. */
  precondition?: Precondition;
  traceparent?: string;
}

type Changes = Record<string, { from: unknown; to: unknown }>;

/**
 * Changes the fields the caller sent. Fields equal to the stored ones are not changes: a PATCH
 * that changes nothing keeps the version, writes no history and sends no event. A change
 * announces `todos.todo.updated.v1` (the todo as it is now, and what changed); marking the
 * todo done also announces `todos.todo.completed.v1`, once per transition.
 */
export async function updateTodo(
  deps: TodosDeps,
  caller: Owner,
  id: string,
  patch: TodoPatch,
  options: WriteOptions = {},
): Promise<Todo> {
  const wanted = validPatch(patch);
  const now = deps.now();
  const todo = await deps.database.transaction(async (trx) => {
    const todos = ownerTodos(trx, caller);
    const current = await todos.lock(id, 'live');
    if (!current) throw todoNotFound();
    checkPrecondition(options.precondition, current);

    const { columns, changes } = differences(current, wanted, now);
    if (Object.keys(changes).length === 0) return toTodo(current);
    const row = await todos.update(current.id, columns, now);
    await todos.appendHistory([
      { todoId: row.id, actorId: caller.userId, action: 'updated', changes, at: now },
    ]);
    const changed = Object.keys(changes) as TodoUpdatedV1['changed'];
    const announced: CloudEvent[] = [todoUpdated(deps.events, row, changed, options.traceparent)];
    if (!current.done && row.done)
      announced.push(todoCompleted(deps.events, row, options.traceparent));
    await deps.events.record(trx, announced);
    return toTodo(row);
  });
  await forgetTodos(deps, caller, [todo.id]);
  return todo;
}

interface WantedChanges {
  title?: string;
  description?: string | null;
  done?: boolean;
  dueAt?: Date | null;
}

function validPatch(patch: TodoPatch): WantedChanges {
  const wanted: WantedChanges = {};
  if (patch.title !== undefined) wanted.title = validTitle('body.title', patch.title);
  if (patch.description !== undefined) wanted.description = patch.description;
  if (patch.done !== undefined) wanted.done = patch.done;
  if (patch.dueAt !== undefined)
    wanted.dueAt = patch.dueAt === null ? null : validInstant('body.dueAt', patch.dueAt);
  return wanted;
}

/** The columns to write and the history's { field: { from, to } }, for what actually differs. */
function differences(
  current: TodoRow,
  wanted: WantedChanges,
  now: Date,
): { columns: TodoChanges; changes: Changes } {
  const columns: TodoChanges = {};
  const changes: Changes = {};
  if (wanted.title !== undefined && wanted.title !== current.title) {
    columns.title = wanted.title;
    changes.title = { from: current.title, to: wanted.title };
  }
  if (wanted.description !== undefined && wanted.description !== current.description) {
    columns.description = wanted.description;
    changes.description = { from: current.description, to: wanted.description };
  }
  if (wanted.done !== undefined && wanted.done !== current.done) {
    columns.done = wanted.done;
    columns.completedAt = wanted.done ? now : null;
    changes.done = { from: current.done, to: wanted.done };
  }
  const currentDue = current.due_at?.toISOString() ?? null;
  const wantedDue = wanted.dueAt === undefined ? undefined : (wanted.dueAt?.toISOString() ?? null);
  if (wantedDue !== undefined && wantedDue !== currentDue) {
    columns.dueAt = wanted.dueAt;
    changes.dueAt = { from: currentDue, to: wantedDue };
  }
  return { columns, changes };
}
