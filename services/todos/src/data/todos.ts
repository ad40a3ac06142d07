import { createHash } from 'node:crypto';
import { type Selectable, sql } from 'kysely';
import type { Executor, TodoHistoryTable, TodosTable } from './schema.ts';

export type TodoRow = Selectable<TodosTable>;
export type HistoryAction = TodoHistoryTable['action'];

/**
 * A write's `updated_at`: `now`, or just after the one it replaces if that is not earlier. A
 * writer takes `now` before it waits for the row, and replicas' clocks differ, so `now` alone
 * could go back; written under the row lock, this always moves forward in commit order. The
 * todo's events carry it as their time, and consumers (notifications' reminders) apply a todo's
 * news only over older news.
 */
function nextUpdatedAt(now: Date) {
  return sql<Date>`GREATEST(${now}::timestamptz, updated_at + interval '1 millisecond')`;
}

/** Whose todos: the caller's tenant and user, from the verified token (or an event). */
export interface Owner {
  tenantId: string;
  userId: string;
}

export interface NewTodo {
  id: string;
  title: string;
  description: string | null;
  dueAt: Date | null;
  createdAt: Date;
}

/** Columns a change may set; absent means unchanged. */
export interface TodoChanges {
  title?: string;
  description?: string | null;
  done?: boolean;
  dueAt?: Date | null;
  completedAt?: Date | null;
}

export interface ListFilter {
  status?: 'open' | 'done';
  /** Case-insensitive substring of the title or the description. */
  q?: string;
}

/** Where a page starts: strictly after this (created_at, id) in newest-first order. */
export interface PagePosition {
  createdAt: Date;
  id: string;
}

export interface HistoryEntry {
  todoId: string;
  actorId: string;
  action: HistoryAction;
  changes: Record<string, { from: unknown; to: unknown }>;
  at: Date;
}

export interface StoredResponse {
  requestHash: string;
  status: number;
  body: unknown;
  createdAt: Date;
}

/**
 * One owner's todos, their history and their idempotency keys: the only way the service
 * reaches its tables. Tenant isolation and ownership are enforced here, once, by the `mine…`
 * starting points every read, update and delete below is built from; inserts take both ids
 * from `owner`; the advisory lock id is derived from them.
 * So another user's or tenant's todo is simply not found, and no query can forget the check.
 */
export function ownerTodos(db: Executor, owner: Owner) {
  const mineTodos = () =>
    db
      .selectFrom('todos')
      .selectAll()
      .where('tenant_id', '=', owner.tenantId)
      .where('owner_id', '=', owner.userId);
  const mineToUpdate = () =>
    db
      .updateTable('todos')
      .where('tenant_id', '=', owner.tenantId)
      .where('owner_id', '=', owner.userId);
  const mineHistory = () =>
    db
      .selectFrom('todo_history')
      .selectAll()
      .where('tenant_id', '=', owner.tenantId)
      .where('owner_id', '=', owner.userId);
  const mineKeys = () =>
    db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('tenant_id', '=', owner.tenantId)
      .where('owner_id', '=', owner.userId);
  const mineKeysToDelete = () =>
    db
      .deleteFrom('idempotency_keys')
      .where('tenant_id', '=', owner.tenantId)
      .where('owner_id', '=', owner.userId);

  return {
    async insert(todo: NewTodo): Promise<TodoRow> {
      return db
        .insertInto('todos')
        .values({
          id: todo.id,
          tenant_id: owner.tenantId,
          owner_id: owner.userId,
          title: todo.title,
          description: todo.description,
          done: false,
          due_at: todo.dueAt,
          completed_at: null,
          version: 1,
          created_at: todo.createdAt,
          updated_at: todo.createdAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    async findLive(id: string): Promise<TodoRow | undefined> {
      return mineTodos().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    },

    /**
     * Locks the row until the transaction ends: concurrent writers of one todo take turns, so
     * an If-Match check and the write it guards are one step, and the outbox gets the events
     * of one todo in the order of its versions.
     */
    async lock(id: string, which: 'live' | 'live or deleted'): Promise<TodoRow | undefined> {
      let query = mineTodos().where('id', '=', id);
      if (which === 'live') query = query.where('deleted_at', 'is', null);
      return query.forUpdate().executeTakeFirst();
    },

    /** Live or deleted. */
    async exists(id: string): Promise<boolean> {
      const row = await mineTodos().where('id', '=', id).executeTakeFirst();
      return row !== undefined;
    },

    /** Up to `count` live todos, newest first (the id breaks ties of equal created_at). */
    async listLive(count: number, filter: ListFilter, after?: PagePosition): Promise<TodoRow[]> {
      let query = mineTodos().where('deleted_at', 'is', null);
      if (filter.status) query = query.where('done', '=', filter.status === 'done');
      if (filter.q) {
        const pattern = `%${escapeLike(filter.q)}%`;
        query = query.where((eb) =>
          eb.or([eb('title', 'ilike', pattern), eb('description', 'ilike', pattern)]),
        );
      }
      if (after) {
        query = query.where((eb) =>
          eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)),
        );
      }
      return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(count).execute();
    },

    /** Applies `changes` to a live todo and bumps its version. */
    async update(id: string, changes: TodoChanges, now: Date): Promise<TodoRow> {
      return mineToUpdate()
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .set((eb) => ({
          ...(changes.title !== undefined ? { title: changes.title } : {}),
          ...(changes.description !== undefined ? { description: changes.description } : {}),
          ...(changes.done !== undefined ? { done: changes.done } : {}),
          ...(changes.dueAt !== undefined ? { due_at: changes.dueAt } : {}),
          ...(changes.completedAt !== undefined ? { completed_at: changes.completedAt } : {}),
          version: eb('version', '+', 1),
          updated_at: nextUpdatedAt(now),
        }))
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    async softDelete(id: string, deletedBy: string, now: Date): Promise<TodoRow> {
      return mineToUpdate()
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .set((eb) => ({
          deleted_at: now,
          deleted_by: deletedBy,
          version: eb('version', '+', 1),
          updated_at: nextUpdatedAt(now),
        }))
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    /** Every live todo of the owner, deleted at once (the owner's account was deleted). */
    async softDeleteAllLive(deletedBy: string, now: Date): Promise<TodoRow[]> {
      return mineToUpdate()
        .where('deleted_at', 'is', null)
        .set((eb) => ({
          deleted_at: now,
          deleted_by: deletedBy,
          version: eb('version', '+', 1),
          updated_at: nextUpdatedAt(now),
        }))
        .returningAll()
        .execute();
    },

    async restore(id: string, now: Date): Promise<TodoRow> {
      return mineToUpdate()
        .where('id', '=', id)
        .where('deleted_at', 'is not', null)
        .set((eb) => ({
          deleted_at: null,
          deleted_by: null,
          version: eb('version', '+', 1),
          updated_at: nextUpdatedAt(now),
        }))
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    async appendHistory(entries: HistoryEntry[]): Promise<void> {
      if (entries.length === 0) return;
      await db
        .insertInto('todo_history')
        .values(
          entries.map((entry) => ({
            todo_id: entry.todoId,
            tenant_id: owner.tenantId,
            owner_id: owner.userId,
            actor_id: entry.actorId,
            action: entry.action,
            changes: JSON.stringify(entry.changes),
            at: entry.at,
          })),
        )
        .execute();
    },

    /** Oldest first, in the order the changes committed. */
    async history(todoId: string): Promise<HistoryEntry[]> {
      const rows = await mineHistory().where('todo_id', '=', todoId).orderBy('seq').execute();
      return rows.map((row) => ({
        todoId: row.todo_id,
        actorId: row.actor_id,
        action: row.action,
        changes: jsonValue(row.changes) as HistoryEntry['changes'],
        at: row.at,
      }));
    },

    /**
     * Holds `key` for this transaction without waiting: false when another transaction holds
     * it, i.e. a request with the same key is still in flight. A transaction-level advisory
     * lock is released at commit or rollback, even if the process dies: nothing to clean up.
     * The two-integer form never collides with the kit's single-bigint locks.
     */
    async tryLockKey(key: string): Promise<boolean> {
      const { rows } = await sql<{ locked: boolean }>`SELECT pg_try_advisory_xact_lock(
          hashtext('lattice.todos.idempotency'), ${lockId(owner, key)}::int4) AS locked`.execute(
        db,
      );
      return rows[0]?.locked === true;
    },

    async findResponse(key: string): Promise<StoredResponse | undefined> {
      const row = await mineKeys().where('key', '=', key).executeTakeFirst();
      if (!row) return undefined;
      return {
        requestHash: row.request_hash,
        status: row.status,
        body: jsonValue(row.response),
        createdAt: row.created_at,
      };
    },

    async forgetResponse(key: string): Promise<void> {
      await mineKeysToDelete().where('key', '=', key).execute();
    },

    async saveResponse(key: string, response: StoredResponse): Promise<void> {
      await db
        .insertInto('idempotency_keys')
        .values({
          tenant_id: owner.tenantId,
          owner_id: owner.userId,
          key,
          request_hash: response.requestHash,
          status: response.status,
          response: JSON.stringify(response.body),
          created_at: response.createdAt,
        })
        .execute();
    },
  };
}

export type OwnerTodos = ReturnType<typeof ownerTodos>;

/**
 * Maintenance across owners, hence outside `ownerTodos`: deletes idempotency keys created
 * before `before`, at most `batch` at a time so a large backlog never holds a long lock.
 */
export async function deleteExpiredKeys(db: Executor, before: Date, batch = 1000): Promise<number> {
  const result = await sql`DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
      SELECT ctid FROM idempotency_keys WHERE created_at < ${before} LIMIT ${batch}))`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * 32 bits of SHA-256 over the JSON of (tenant, user, key): JSON keeps the three apart however
 * they are spelled. Two keys sharing a lock id only make one of two simultaneous requests
 * wait for a retry (409): a rare false alarm, never a wrong answer.
 */
function lockId(owner: Owner, key: string): number {
  return createHash('sha256')
    .update(JSON.stringify([owner.tenantId, owner.userId, key]))
    .digest()
    .readInt32BE(0);
}

/** `%`, `_` and `\` are LIKE wildcards; a search for "100%" means the text "100%". */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

function jsonValue(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}
