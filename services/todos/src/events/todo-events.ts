import type {
  TodoCompletedV1,
  TodoCreatedV1,
  TodoDeletedV1,
  TodoRestoredV1,
  TodoUpdatedV1,
} from '@lattice/contracts';
import type { CloudEvent, ServiceEvents } from '@lattice/platform';
import type { TodoRow } from '../data/todos.ts';

// The CloudEvent subject is the todo id: the outbox and the bus keep one todo's events in order.

/** The ids every todo event's data starts with (all of a completion's). */
type TodoIds = TodoCompletedV1;

/** An event about `row` at `time`; its data starts with the todo's ids, as every contract's does. */
function todoEvent<T extends object>(
  events: ServiceEvents,
  type: string,
  row: TodoRow,
  time: Date,
  data: T,
  traceparent: string | undefined,
): CloudEvent<TodoIds & T> {
  return events.create({
    type,
    subject: row.id,
    tenantId: row.tenant_id,
    time,
    traceparent,
    data: { todoId: row.id, tenantId: row.tenant_id, ownerId: row.owner_id, ...data },
  });
}

/** The title and due date as the events carry them. */
function titleAndDue(row: TodoRow): { title: string; dueAt: string | null } {
  return { title: row.title, dueAt: row.due_at?.toISOString() ?? null };
}

export function todoCreated(
  events: ServiceEvents,
  row: TodoRow,
  traceparent?: string,
): CloudEvent<TodoCreatedV1> {
  return todoEvent(
    events,
    'lattice.todos.todo.created.v1',
    row,
    row.created_at,
    titleAndDue(row),
    traceparent,
  );
}

export function todoCompleted(
  events: ServiceEvents,
  row: TodoRow,
  traceparent?: string,
): CloudEvent<TodoCompletedV1> {
  return todoEvent(events, 'lattice.todos.todo.completed.v1', row, row.updated_at, {}, traceparent);
}

/**
 * The todo as an update left it (title, due date, done) and the fields it changed. Its time is
 * the update's, which consumers compare to leave older news alone.
 */
export function todoUpdated(
  events: ServiceEvents,
  row: TodoRow,
  changed: TodoUpdatedV1['changed'],
  traceparent?: string,
): CloudEvent<TodoUpdatedV1> {
  return todoEvent(
    events,
    'lattice.todos.todo.updated.v1',
    row,
    row.updated_at,
    { ...titleAndDue(row), done: row.done, changed },
    traceparent,
  );
}

export function todoDeleted(
  events: ServiceEvents,
  row: TodoRow,
  deletedBy: string,
  traceparent?: string,
): CloudEvent<TodoDeletedV1> {
  return todoEvent(
    events,
    'lattice.todos.todo.deleted.v1',
    row,
    row.updated_at,
    { deletedBy },
    traceparent,
  );
}

/** The todo as a restore brought it back; its time is the restore's. */
export function todoRestored(
  events: ServiceEvents,
  row: TodoRow,
  traceparent?: string,
): CloudEvent<TodoRestoredV1> {
  return todoEvent(
    events,
    'lattice.todos.todo.restored.v1',
    row,
    row.updated_at,
    { ...titleAndDue(row), done: row.done },
    traceparent,
  );
}
