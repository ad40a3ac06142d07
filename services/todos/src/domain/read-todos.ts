import { decodeKeysetCursor, encodeKeysetCursor } from '@lattice/platform';
import { type Owner, ownerTodos } from '../data/todos.ts';
import { TodosErrors } from '../errors.ts';
import type { TodosDeps } from './deps.ts';
import { cachedTodo } from './todo-cache.ts';
import { type Todo, toTodo } from './todo-view.ts';

export interface TodoPage {
  items: Todo[];
  /** Null on the last page. */
  nextCursor: string | null;
}

export interface ListRequest {
  status?: 'open' | 'done';
  q?: string;
  limit: number;
  cursor?: string;
}

/** The caller's live todos, newest first; the cursor is the position of the previous page's last item. */
export async function listTodos(
  deps: TodosDeps,
  caller: Owner,
  request: ListRequest,
): Promise<TodoPage> {
  const after =
    request.cursor === undefined
      ? undefined
      : decodeKeysetCursor(request.cursor, TodosErrors.invalidCursor);
  // One row more than asked tells whether another page exists without a count query.
  const rows = await ownerTodos(deps.database.db, caller).listLive(
    request.limit + 1,
    { status: request.status, q: request.q },
    after,
  );
  const items = rows.slice(0, request.limit);
  const last = items.at(-1);
  return {
    items: items.map(toTodo),
    nextCursor:
      rows.length > request.limit && last
        ? encodeKeysetCursor({ createdAt: last.created_at, id: last.id })
        : null,
  };
}

/**
 * One of the caller's live todos, through the cache. Another user's or tenant's todo, and a
 * deleted one, are "not found": whether an id exists elsewhere must not leak.
 */
export async function getTodo(deps: TodosDeps, caller: Owner, id: string): Promise<Todo> {
  const todo = await cachedTodo(deps, caller, id);
  if (!todo) throw todoNotFound();
  return todo;
}

export interface HistoryItem {
  at: string;
  actorId: string;
  action: 'created' | 'updated' | 'deleted' | 'restored';
  changes: Record<string, { from: unknown; to: unknown }>;
}

/**
 * The audit trail of one of the caller's todos, oldest first. Also for a deleted todo: the
 * trail is what tells who deleted it, and the owner may still restore it.
 */
export async function todoHistory(
  deps: TodosDeps,
  caller: Owner,
  id: string,
): Promise<HistoryItem[]> {
  const todos = ownerTodos(deps.database.db, caller);
  if (!(await todos.exists(id))) throw todoNotFound();
  const entries = await todos.history(id);
  return entries.map((entry) => ({
    at: entry.at.toISOString(),
    actorId: entry.actorId,
    action: entry.action,
    changes: entry.changes,
  }));
}

export function todoNotFound() {
  return TodosErrors.notFound('No such todo among yours');
}
