import { type Owner, ownerTodos } from '../data/todos.ts';
import type { TodosDeps } from './deps.ts';
import { type Todo, toTodo } from './todo-view.ts';

/**
 * The owner is part of the key, so the cache never serves one user's todo to another: the
 * loader is the owner's scoped repository, and a miss for a stranger finds nothing (misses
 * are not cached). Ids are encoded, so `a:b` + `c` and `a` + `b:c` are different keys, and
 * the todo id is lower-cased as PostgreSQL compares uuids regardless of case.
 */
function keyOf(owner: Owner, id: string): string {
  return `todo:${encodeURIComponent(owner.tenantId)}:${encodeURIComponent(owner.userId)}:${id.toLowerCase()}`;
}

export function cachedTodo(deps: TodosDeps, owner: Owner, id: string): Promise<Todo | undefined> {
  return deps.cache.get(
    keyOf(owner, id),
    async () => {
      const row = await ownerTodos(deps.database.db, owner).findLive(id);
      return row && toTodo(row);
    },
    { ttlMs: deps.cacheTtlMs },
  );
}

/**
 * Called after the write committed and before it is acknowledged: the port resolves once no
 * instance can serve the old value, so a client never reads its own write back stale.
 */
export async function forgetTodos(deps: TodosDeps, owner: Owner, ids: string[]): Promise<void> {
  await Promise.all(ids.map((id) => deps.cache.invalidate(keyOf(owner, id))));
}
