import type { TodoRow } from '../data/todos.ts';

/** A todo as the API shows it (and as the cache holds it: plain JSON, no Date objects). */
export interface Todo {
  id: string;
  title: string;
  description: string | null;
  done: boolean;
  dueAt: string | null;
  completedAt: string | null;
  /** Grows with every change; the ETag is this number, quoted. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export function toTodo(row: TodoRow): Todo {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    done: row.done,
    dueAt: row.due_at?.toISOString() ?? null,
    completedAt: row.completed_at?.toISOString() ?? null,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
