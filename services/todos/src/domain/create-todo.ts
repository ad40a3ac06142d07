import type { Owner } from '../data/todos.ts';
import { ownerTodos } from '../data/todos.ts';
import { todoCreated } from '../events/todo-events.ts';
import type { TodosDeps } from './deps.ts';
import { earlierResponse, requestHash } from './idempotency.ts';
import { validInstant, validTitle } from './todo-fields.ts';
import { type Todo, toTodo } from './todo-view.ts';

export interface NewTodoRequest {
  title: string;
  description?: string;
  dueAt?: string;
}

export interface CreatedTodo {
  status: number;
  todo: Todo;
  /** True when this is the stored first response to the same Idempotency-Key. */
  replayed: boolean;
}

/**
 * Creates a todo for the caller. The todo, its first history entry, its `created` event and,
 * with an Idempotency-Key, the response to replay are one transaction: a retry either finds
 * all of them or none, so it never creates a second todo nor loses the first one's answer.
 */
export async function createTodo(
  deps: TodosDeps,
  caller: Owner,
  request: NewTodoRequest,
  options: { idempotencyKey?: string; traceparent?: string } = {},
): Promise<CreatedTodo> {
  const title = validTitle('body.title', request.title);
  const dueAt = request.dueAt === undefined ? null : validInstant('body.dueAt', request.dueAt);
  const now = deps.now();
  const { idempotencyKey: key } = options;
  const hash = key === undefined ? '' : requestHash(request);

  return deps.database.transaction(async (trx) => {
    const todos = ownerTodos(trx, caller);
    if (key !== undefined) {
      const earlier = await earlierResponse(todos, key, hash, now, deps.idempotencyTtlMs);
      if (earlier) return { status: earlier.status, todo: earlier.body as Todo, replayed: true };
    }

    const row = await todos.insert({
      id: deps.newId(),
      title,
      description: request.description ?? null,
      dueAt,
      createdAt: now,
    });
    await todos.appendHistory([
      {
        todoId: row.id,
        actorId: caller.userId,
        action: 'created',
        changes: {
          title: { from: null, to: row.title },
          description: { from: null, to: row.description },
          dueAt: { from: null, to: row.due_at?.toISOString() ?? null },
        },
        at: now,
      },
    ]);
    await deps.events.record(trx, todoCreated(deps.events, row, options.traceparent));

    const created = { status: 201, todo: toTodo(row), replayed: false };
    if (key !== undefined) {
      await todos.saveResponse(key, {
        requestHash: hash,
        status: created.status,
        body: created.todo,
        createdAt: now,
      });
    }
    // A new id has nothing cached yet (misses are not cached): no invalidation needed.
    return created;
  });
}
