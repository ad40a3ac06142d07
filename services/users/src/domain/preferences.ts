import { PlatformErrors } from '@lattice/platform';

/** A 400 in the kit's validation shape, so clients handle it like a schema failure. */
export function invalidField(field: string, message: string) {
  return PlatformErrors.validation(`${field} ${message}`, {
    extensions: { errors: [{ field, message }] },
  });
}

/** The canonical BCP 47 tag (`en-us` → `en-US`), or undefined when it is not one. */
export function canonicalLocale(value: string): string | undefined {
  try {
    const [canonical] = Intl.getCanonicalLocales(value);
    return canonical;
  } catch {
    return undefined;
  }
}

/**
 * The canonical IANA name (`europe/paris` → `Europe/Paris`), or undefined when it is not one.
 * Intl also accepts UTC offsets such as `+01:00`; those are refused: an offset ignores daylight
 * saving, which is what storing a zone is for.
 */
export function canonicalTimeZone(value: string): string | undefined {
  if (/^[+-]/.test(value)) return undefined;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}
