import type { CloudEvent, Database } from '@lattice/platform';
import { Type } from 'typebox';
import { Value } from 'typebox/value';
import { tenantProfiles } from '../data/profiles.ts';
import type { UsersDb } from '../data/schema.ts';

export const USER_REGISTERED_SUBJECT = 'auth.user.registered.v1';

/** The part of auth's `auth.user.registered.v1` data this service reads; extra members are ignored. */
const UserRegisteredData = Type.Object({
  userId: Type.String({ format: 'uuid' }),
  tenantId: Type.String({ format: 'uuid' }),
  email: Type.String({ minLength: 1 }),
  name: Type.String({ minLength: 1 }),
  roles: Type.Array(Type.String()),
});

/** A registration event that can never be applied: redelivering it would not help. */
export class MalformedEventError extends Error {
  constructor(event: unknown, reason: string) {
    const id = (event as { id?: unknown } | null)?.id;
    super(`auth.user.registered.v1 ${String(id)} is malformed: ${reason}`);
    this.name = 'MalformedEventError';
  }
}

/**
 * Creates the profile of a newly registered user. Idempotent: the user id is the key and a
 * second insert does nothing, so redeliveries (at-least-once buses) apply once, and a profile
 * deleted since stays deleted. Resolves with whether this delivery created the profile.
 */
export async function applyUserRegistered(
  database: Database<UsersDb>,
  event: CloudEvent<unknown>,
): Promise<'created' | 'duplicate'> {
  if (event?.type !== `lattice.${USER_REGISTERED_SUBJECT}`)
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
  const created = await tenantProfiles(database.db, data.tenantId).insertIfAbsent({
    id: data.userId,
    email: data.email,
    name: data.name,
    roles: data.roles,
    createdAt: registeredAt,
  });
  return created ? 'created' : 'duplicate';
}
