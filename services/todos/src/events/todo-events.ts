import type { TodoCompletedV1, TodoCreatedV1, TodoDeletedV1 } from '@lattice/contracts';
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
