import { type Static, Type } from 'typebox';
import { defineContract } from '../contract.ts';

export const UserDeletedV1 = Type.Object({
  userId: Type.String({ minLength: 1 }),
  tenantId: Type.String({ minLength: 1 }),
  deletedBy: Type.String({ minLength: 1 }),
});
export type UserDeletedV1 = Static<typeof UserDeletedV1>;

export const usersContracts = [
  defineContract({
    type: 'lattice.users.user.deleted.v1',
    schema: UserDeletedV1,
    producer: 'users',
    consumers: ['auth', 'todos', 'analytics'],
    description: "A user was deleted from a tenant; consumers remove or anonymise the user's data.",
    examples: [{ userId: 'u1', tenantId: 't1', deletedBy: 'u0' }],
  }),
];
