import type { UserDeletedV1 } from '@lattice/contracts';
import type { ConsumerSpec } from '@lattice/platform';
import type { TodosDb } from '../data/schema.ts';
import { deleteTodosOfDeletedUser } from '../domain/deleted-user.ts';
import type { TodosDeps } from '../domain/deps.ts';

export const USER_DELETED = 'lattice.users.user.deleted.v1';

/**
 * Consumer group `todos_user-deleted`. The kit checks each message against the contract
 * first (a malformed one is dead-lettered without reaching this handler) and records each
 * event id in the inbox in the handler's transaction (a duplicate is skipped).
 */
export function userDeletedConsumer(deps: TodosDeps): ConsumerSpec<UserDeletedV1, TodosDb> {
  return {
    name: 'user-deleted',
    types: [USER_DELETED],
    handler: async (event, trx) => {
      const { tenantId, userId, deletedBy } = event.data;
      await deleteTodosOfDeletedUser(deps, trx, { tenantId, userId }, deletedBy, event.traceparent);
    },
  };
}
