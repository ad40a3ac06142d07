import type { CloudEvent } from '@lattice/platform';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { tenantProfiles } from '../data/profiles.ts';
import type { Executor } from '../data/schema.ts';

export const USER_REGISTERED = 'lattice.auth.user.registered.v1';

/**
 * The contract's data (packages/contracts/src/events/auth.ts), read stricter: the ids key a
 * uuid column and the name is shown, so an event the contract allows but this service cannot
 * store is refused here with a reason instead of failing in the database.
 */
const UserRegisteredData = Type.Object({
  userId: Type.String({ format: 'uuid' }),
  tenantId: Type.String({ format: 'uuid' }),
  email: Type.String({ minLength: 1 }),
  name: Type.String({ minLength: 1 }),
  roles: Type.Array(Type.String()),
});

/**
 * A registration event that can never be applied. Thrown like any other failure, so the bus
 * retries it and then dead-letters it with this message as the reason.
 */
export class MalformedEventError extends Error {
  constructor(event: unknown, reason: string) {
    const id = (event as { id?: unknown } | null)?.id;
    super(`${USER_REGISTERED} ${String(id)} is malformed: ${reason}`);
    this.name = 'MalformedEventError';
  }
}

/**
 * Creates the profile of a newly registered user, in `trx` (the consumer's transaction, which
 * also records the event in the inbox). Idempotent on its own too: the user id is the key and a
 * second insert does nothing, so the same registration under another event id (a re-publish,
 * a replay) applies once, and a profile deleted since stays deleted. Resolves with whether
 * this delivery created the profile.
 */
export async function applyUserRegistered(
  trx: Executor,
  event: CloudEvent<unknown>,
): Promise<'created' | 'duplicate'> {
  if (event?.type !== USER_REGISTERED)
    throw new MalformedEventError(event, `unexpected type ${String(event?.type)}`);
  if (!Value.Check(UserRegisteredData, event.data)) {
    const [first] = Value.Errors(UserRegisteredData, event.data);
    throw new MalformedEventError(event, `data${first?.instancePath ?? ''} ${first?.message}`);
  }
  const data = event.data;
  if (event.tenantid !== data.tenantId)
    throw new MalformedEventError(event, 'tenantid differs from data.tenantId');
  const registeredAt = new Date(event.time);
  if (Number.isNaN(registeredAt.getTime()))
    throw new MalformedEventError(event, `time ${String(event.time)} is not a timestamp`);

  // Newest-first listing orders by registration time, not by when the event arrived.
  const created = await tenantProfiles(trx, data.tenantId).insertIfAbsent({
    id: data.userId,
    email: data.email,
    name: data.name,
    roles: data.roles,
    createdAt: registeredAt,
  });
  return created ? 'created' : 'duplicate';
}
