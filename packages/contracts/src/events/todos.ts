import { type Static, Type } from 'typebox';
import { defineContract } from '../contract.ts';

const ids = {
  todoId: Type.String({ minLength: 1 }),
  tenantId: Type.String({ minLength: 1 }),
  ownerId: Type.String({ minLength: 1 }),
};

export const TodoCreatedV1 = Type.Object({
  ...ids,
  title: Type.String(),
  dueAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export type TodoCreatedV1 = Static<typeof TodoCreatedV1>;

export const TodoCompletedV1 = Type.Object(ids);
export type TodoCompletedV1 = Static<typeof TodoCompletedV1>;

export const TodoDeletedV1 = Type.Object({ ...ids, deletedBy: Type.String({ minLength: 1 }) });
export type TodoDeletedV1 = Static<typeof TodoDeletedV1>;

/** The fields an update may change; `changed` names the ones this update did. */
export const TodoField = Type.Union([
  Type.Literal('title'),
  Type.Literal('description'),
  Type.Literal('done'),
  Type.Literal('dueAt'),
]);

export const TodoUpdatedV1 = Type.Object({
  ...ids,
  title: Type.String(),
  dueAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  done: Type.Boolean(),
  changed: Type.Array(TodoField, { minItems: 1, uniqueItems: true }),
});
export type TodoUpdatedV1 = Static<typeof TodoUpdatedV1>;

export const TodoRestoredV1 = Type.Object({
  ...ids,
  title: Type.String(),
  dueAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  done: Type.Boolean(),
});
export type TodoRestoredV1 = Static<typeof TodoRestoredV1>;

export const todosContracts = [
  defineContract({
    type: 'lattice.todos.todo.created.v1',
    schema: TodoCreatedV1,
    producer: 'todos',
    consumers: ['notifications', 'analytics'],
    description: 'A todo was created.',
    examples: [
      { todoId: 'td1', tenantId: 't1', ownerId: 'u1', title: 'Write docs', dueAt: null },
      {
        todoId: 'td2',
        tenantId: 't1',
        ownerId: 'u1',
        title: 'Ship',
        dueAt: '2030-01-31T17:00:00.000Z',
      },
    ],
  }),
  defineContract({
    type: 'lattice.todos.todo.completed.v1',
    schema: TodoCompletedV1,
    producer: 'todos',
    consumers: ['notifications', 'analytics'],
    description: 'A todo was marked done.',
    examples: [{ todoId: 'td1', tenantId: 't1', ownerId: 'u1' }],
  }),
  defineContract({
    type: 'lattice.todos.todo.deleted.v1',
    schema: TodoDeletedV1,
    producer: 'todos',
    consumers: ['notifications', 'analytics'],
    description: 'A todo was deleted, by its owner or an administrator.',
    examples: [{ todoId: 'td1', tenantId: 't1', ownerId: 'u1', deletedBy: 'u1' }],
  }),
  defineContract({
    type: 'lattice.todos.todo.updated.v1',
    schema: TodoUpdatedV1,
    producer: 'todos',
    consumers: ['notifications'],
    description:
      "A todo's fields were changed: its title, due date and done state as they are now, and which fields this update changed. The CloudEvent time is the change's, so a consumer can leave alone news older than what it has applied.",
    examples: [
      {
        todoId: 'td2',
        tenantId: 't1',
        ownerId: 'u1',
        title: 'Ship',
        dueAt: '2030-02-28T17:00:00.000Z',
        done: false,
        changed: ['dueAt'],
      },
      {
        todoId: 'td1',
        tenantId: 't1',
        ownerId: 'u1',
        title: 'Write the docs',
        dueAt: null,
        done: true,
        changed: ['title', 'done'],
      },
    ],
  }),
  defineContract({
    type: 'lattice.todos.todo.restored.v1',
    schema: TodoRestoredV1,
    producer: 'todos',
    consumers: ['notifications'],
    description:
      "A deleted todo was brought back, as it was: its title, due date and done state. The CloudEvent time is the restore's.",
    examples: [
      {
        todoId: 'td2',
        tenantId: 't1',
        ownerId: 'u1',
        title: 'Ship',
        dueAt: '2030-01-31T17:00:00.000Z',
        done: false,
      },
    ],
  }),
];
