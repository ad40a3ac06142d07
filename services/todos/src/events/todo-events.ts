import type {
  TodoCompletedV1,
  TodoCreatedV1,
  TodoDeletedV1,
  TodoUpdatedV1,
} from '@lattice/contracts';
import type { CloudEvent, ServiceEvents } from '@lattice/platform';
import type { TodoRow } from '../data/todos.ts';

// The CloudEvent subject is the todo id: the outbox and the bus keep one todo's events in order.

export function todoCreated(
  events: ServiceEvents,
  row: TodoRow,
  traceparent?: string,
): CloudEvent<TodoCreatedV1> {
  return events.create({
    type: 'lattice.todos.todo.created.v1',
    subject: row.id,
    tenantId: row.tenant_id,
    time: row.created_at,
    traceparent,
    data: {
      todoId: row.id,
      tenantId: row.tenant_id,
      ownerId: row.owner_id,
      title: row.title,
      dueAt: row.due_at?.toISOString() ?? null,
    },
  });
}

export function todoCompleted(
  events: ServiceEvents,
  row: TodoRow,
  traceparent?: string,
): CloudEvent<TodoCompletedV1> {
  return events.create({
    type: 'lattice.todos.todo.completed.v1',
    subject: row.id,
    tenantId: row.tenant_id,
    time: row.updated_at,
    traceparent,
    data: { todoId: row.id, tenantId: row.tenant_id, ownerId: row.owner_id },
  });
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
  return events.create({
    type: 'lattice.todos.todo.updated.v1',
    subject: row.id,
    tenantId: row.tenant_id,
    time: row.updated_at,
    traceparent,
    data: {
      todoId: row.id,
      tenantId: row.tenant_id,
      ownerId: row.owner_id,
      title: row.title,
      dueAt: row.due_at?.toISOString() ?? null,
      done: row.done,
      changed,
    },
  });
}

export function todoDeleted(
  events: ServiceEvents,
  row: TodoRow,
  deletedBy: string,
  traceparent?: string,
): CloudEvent<TodoDeletedV1> {
  return events.create({
    type: 'lattice.todos.todo.deleted.v1',
    subject: row.id,
    tenantId: row.tenant_id,
    time: row.updated_at,
    traceparent,
    data: {
      todoId: row.id,
      tenantId: row.tenant_id,
      ownerId: row.owner_id,
      deletedBy,
    },
  });
}
