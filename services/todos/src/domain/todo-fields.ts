import { PlatformErrors } from '@lattice/platform';

/** A 400 in the kit's validation shape, so clients handle it like a schema failure. */
export function invalidField(field: string, message: string) {
  return PlatformErrors.validation(`${field} ${message}`, {
    extensions: { errors: [{ field, message }] },
  });
}

/** Titles are shown in lists: surrounding blanks are dropped, and only blanks is no title. */
export function validTitle(field: string, title: string): string {
  const trimmed = title.trim();
  if (trimmed.length === 0) throw invalidField(field, 'must not be blank');
  return trimmed;
}

/**
 * The schema checked the RFC 3339 shape; this checks that the instant exists for both
 * JavaScript and PostgreSQL (years 0001 to 9999, so it round-trips through timestamptz).
 */
export function validInstant(field: string, text: string): Date {
  const instant = new Date(text);
  const year = instant.getUTCFullYear();
  if (Number.isNaN(instant.getTime()) || year < 1 || year > 9999)
    throw invalidField(field, 'must be a date-time between years 0001 and 9999');
  return instant;
}
