import type { CloudEvent, ServiceEvents } from '@lattice/platform';
import type { UserRow } from '../data/users.ts';

export const USER_REGISTERED = 'lattice.auth.user.registered.v1';

/** The contract's data (packages/contracts/src/events/auth.ts), member for member. */
export interface UserRegisteredV1 {
  userId: string;
  tenantId: string;
  email: string;
  name: string;
  roles: string[];
}

/** `time` is the account's creation time: the users service orders its listing by it. */
export function userRegistered(
  events: ServiceEvents,
  user: UserRow,
  roles: string[],
  traceparent?: string,
): CloudEvent<UserRegisteredV1> {
  return events.create<UserRegisteredV1>({
    type: USER_REGISTERED,
    subject: user.id,
    tenantId: user.tenant_id,
    time: user.created_at,
    ...(traceparent ? { traceparent } : {}),
    data: {
      userId: user.id,
      tenantId: user.tenant_id,
      email: user.email,
      name: user.name,
      roles,
    },
  });
}
