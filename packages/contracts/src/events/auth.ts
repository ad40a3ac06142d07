import { type Static, Type } from 'typebox';
import { defineContract } from '../contract.ts';

export const UserRegisteredV1 = Type.Object({
  userId: Type.String({ minLength: 1 }),
  tenantId: Type.String({ minLength: 1 }),
  email: Type.String({ format: 'email' }),
  name: Type.String(),
  roles: Type.Array(Type.String()),
});
export type UserRegisteredV1 = Static<typeof UserRegisteredV1>;

export const authContracts = [
  defineContract({
    type: 'lattice.auth.user.registered.v1',
    schema: UserRegisteredV1,
    producer: 'auth',
    consumers: ['users', 'notifications', 'analytics'],
    description: 'A user registered (or accepted an invitation) and can now sign in.',
    examples: [
      {
        userId: '0195f3a0-7b1c-7000-8000-000000000001',
        tenantId: '0195f3a0-7b1c-7000-8000-0000000000aa',
        email: 'ada@example.com',
        name: 'Ada Lovelace',
        roles: ['owner'],
      },
      { userId: 'u2', tenantId: 't1', email: 'b@example.org', name: '', roles: [] },
    ],
  }),
];
