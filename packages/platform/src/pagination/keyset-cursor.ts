import { type AppError, type AppErrorOptions, PlatformErrors } from '../errors.ts';

/** Where a page ends: the (created_at, id) of its last item, the keyset the next page starts after. */
export interface KeysetPosition {
  createdAt: Date;
  id: string;
}

/** Makes the 400 for a malformed cursor; a service passes its own (e.g. `TodosErrors.invalidCursor`). */
export type InvalidCursorError = (
  detail?: string,
  options?: Omit<AppErrorOptions, 'detail'>,
) => AppError;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Opaque to clients: the (created_at, id) of the last item of a page, as base64url JSON. A
 * position, not an offset: rows inserted or deleted meanwhile never shift the next page.
 */
export function encodeKeysetCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString(
    'base64url',
  );
}

/**
 * The position a cursor names. Anything `encodeKeysetCursor` did not write is a 400 naming the
 * `cursor` query field, made by `invalid` (the kit's INVALID_CURSOR unless a service gives its own).
 */
export function decodeKeysetCursor(
  cursor: string,
  invalid: InvalidCursorError = PlatformErrors.invalidCursor,
): KeysetPosition {
  const malformed = () =>
    invalid('querystring.cursor is not one this service returned; start again without it', {
      extensions: { errors: [{ field: 'querystring.cursor', message: 'is malformed' }] },
    });
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
  // Round-trips exactly only for what encodeKeysetCursor wrote.
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== time) throw malformed();
  return { createdAt, id };
}
