import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';

type Timestamp = ColumnType<Date, Date, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;
// pg parses jsonb into values; PGlite may hand back the text. Written as JSON text.
type Json = ColumnType<unknown, string, string>;

export interface TodosTable {
  id: string;
  tenant_id: string;
  owner_id: string;
  title: string;
  description: string | null;
  done: boolean;
  due_at: NullableTimestamp;
  completed_at: NullableTimestamp;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
  deleted_by: string | null;
}

export interface TodoHistoryTable {
  seq: Generated<number>;
  todo_id: string;
  tenant_id: string;
  owner_id: string;
  actor_id: string;
  action: 'created' | 'updated' | 'deleted' | 'restored';
  changes: Json;
  at: Timestamp;
}

export interface IdempotencyKeysTable {
  tenant_id: string;
  owner_id: string;
  key: string;
  request_hash: string;
  status: number;
  response: Json;
  created_at: Timestamp;
}

/** The kit's transactional outbox (created by the kit's own migration); tests read it. */
export interface OutboxTable {
  seq: Generated<number>;
  id: string;
  aggregate: string;
  type: string;
  event: Json;
  traceparent: string | null;
  created_at: Generated<Date>;
  sent_at: NullableTimestamp;
}

export interface TodosDb {
  todos: TodosTable;
  todo_history: TodoHistoryTable;
  idempotency_keys: IdempotencyKeysTable;
  outbox: OutboxTable;
}

/** Repositories take either the database or an open transaction, so use cases choose the boundary. */
export type Executor = Kysely<TodosDb> | Transaction<TodosDb>;
