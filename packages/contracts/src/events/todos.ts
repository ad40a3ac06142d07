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
];
