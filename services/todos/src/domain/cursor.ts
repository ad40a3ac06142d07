import type { PagePosition } from '../data/todos.ts';
import { TodosErrors } from '../errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Opaque to clients: the (created_at, id) of the last item of a page, as base64url JSON. A
 * position, not an offset: rows inserted or deleted meanwhile never shift the next page.
 */
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
  if (typeof time !== 'string' || typeof id !== 'string' || !UUID.test(id)) throw malformed();
  const createdAt = new Date(time);
  // Round-trips exactly only for what encodeCursor wrote.
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== time) throw malformed();
  return { createdAt, id };
}

function malformed() {
  return TodosErrors.invalidCursor(
    'querystring.cursor is not one this service returned; start again without it',
    { extensions: { errors: [{ field: 'querystring.cursor', message: 'is malformed' }] } },
  );
}
