import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@lattice/platform';

export const USER_DELETED_SUBJECT = 'users.user.deleted.v1';

/** Data of `users.user.deleted.v1`; it belongs in packages/contracts once that package takes schemas. */
export interface UserDeletedV1 {
  userId: string;
  tenantId: string;
  /** The admin who deleted the user. */
  deletedBy: string;
}

export function userDeleted(
  data: UserDeletedV1,
  context: { time: Date; traceparent?: string },
): CloudEvent<UserDeletedV1> {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/lattice/users',
    type: `lattice.${USER_DELETED_SUBJECT}`,
    time: context.time.toISOString(),
    subject: data.userId,
    tenantid: data.tenantId,
    ...(context.traceparent ? { traceparent: context.traceparent } : {}),
    datacontenttype: 'application/json',
    data,
  };
}
