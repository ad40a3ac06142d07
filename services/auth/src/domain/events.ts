import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@lattice/platform';
import type { UserRow } from '../data/users.ts';

export const USER_REGISTERED_SUBJECT = 'auth.user.registered.v1';

/** Data of `auth.user.registered.v1`; it belongs in packages/contracts once that package takes schemas. */
export interface UserRegisteredV1 {
  userId: string;
  tenantId: string;
  email: string;
  name: string;
  roles: string[];
  /** True when the user joined an existing tenant through an invitation. */
  invited: boolean;
  registeredAt: string;
}

export function userRegistered(
  user: UserRow,
  roles: string[],
  context: { invited: boolean; traceparent?: string },
): CloudEvent<UserRegisteredV1> {
  const time = user.created_at.toISOString();
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/lattice/auth',
    type: `lattice.${USER_REGISTERED_SUBJECT}`,
    time,
    subject: user.id,
    tenantid: user.tenant_id,
    ...(context.traceparent ? { traceparent: context.traceparent } : {}),
    datacontenttype: 'application/json',
    data: {
      userId: user.id,
      tenantId: user.tenant_id,
      email: user.email,
      name: user.name,
      roles,
      invited: context.invited,
      registeredAt: time,
    },
  };
}
