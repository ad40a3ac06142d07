import { AuthErrors } from '../errors.ts';

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;

/** Emails compare case-insensitively; they are stored in this form. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * NIST SP 800-63B: Unicode is allowed and normalised (NFKC) before hashing, so the same
 * password typed on two keyboards matches; length counts characters, not bytes.
 */
export function acceptablePassword(password: string): string {
  const normalized = password.normalize('NFKC');
  const length = [...normalized].length;
  if (length < PASSWORD_MIN)
    throw AuthErrors.weakPassword(`password must be at least ${PASSWORD_MIN} characters long`);
  if (length > PASSWORD_MAX)
    throw AuthErrors.weakPassword(`password must be at most ${PASSWORD_MAX} characters long`);
  return normalized;
}

export function parseEmailList(list: string): Set<string> {
  return new Set(
    list
      .split(',')
      .map((e) => normalizeEmail(e))
      .filter(Boolean),
  );
}

/** Tenant role from the database; platform-admin from configuration, so operators are named in one place. */
export function rolesOf(
  user: { email: string; role: string },
  platformAdmins: ReadonlySet<string>,
) {
  return platformAdmins.has(user.email) ? [user.role, 'platform-admin'] : [user.role];
}
