import type { CloudEvent, ServiceEvents } from '@lattice/platform';

export const USER_DELETED = 'lattice.users.user.deleted.v1';

/** The contract's data (packages/contracts/src/events/users.ts), member for member. */
export interface UserDeletedV1 {
  userId: string;
  tenantId: string;
  /** The admin who deleted the user. */
  deletedBy: string;
}

export function userDeleted(
  events: ServiceEvents,
  data: UserDeletedV1,
  context: { time: Date; traceparent?: string },
): CloudEvent<UserDeletedV1> {
  return events.create<UserDeletedV1>({
    type: USER_DELETED,
    subject: data.userId,
    tenantId: data.tenantId,
    time: context.time,
    ...(context.traceparent ? { traceparent: context.traceparent } : {}),
    data,
  });
}
