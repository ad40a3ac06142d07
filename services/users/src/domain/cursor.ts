import type { PagePosition } from '../data/profiles.ts';
import { UsersErrors } from '../errors.ts';
import { isUuid } from './caller.ts';

/** Opaque to clients: the (created_at, id) of the last item of a page, as base64url JSON. */
export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString(
    'base64url',
  );
}

/** The position a cursor names; a 400 for anything this service did not hand out. */
export function decodeCursor(cursor: string): PagePosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) throw malformed();
  const [time, id] = parsed as unknown[];
  if (typeof time !== 'string' || typeof id !== 'string' || !isUuid(id)) throw malformed();
  const createdAt = new Date(time);
  // Round-trips exactly only for what encodeCursor wrote.
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== time) throw malformed();
  return { createdAt, id };
}

function malformed() {
  return UsersErrors.invalidCursor(
    'The cursor is not one this service returned; start again without it',
    { extensions: { errors: [{ field: 'querystring.cursor', message: 'is malformed' }] } },
  );
}
