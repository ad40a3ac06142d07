import { randomBytes } from 'node:crypto';
import { emailExists } from '../data/users.ts';
import type { AuthDeps } from './deps.ts';
import { register } from './register.ts';

/** The operator of an embedded installation, when PLATFORM_ADMIN_EMAILS names nobody. */
export const EMBEDDED_OPERATOR_EMAIL = 'operator@lattice.local';

/**
 * A newcomer's `npm start` needs someone who can reach the ops endpoints. When no platform
 * admin is configured, embedded mode creates one account at first start and prints its
 * password once; it is never stored anywhere but as its hash. Distributed installations name
 * their operators in PLATFORM_ADMIN_EMAILS instead.
 */
export async function ensureEmbeddedOperator(
  deps: AuthDeps,
  announce: (email: string, password: string) => void,
): Promise<void> {
  if (await emailExists(deps.database.db, EMBEDDED_OPERATOR_EMAIL)) return;
  const password = randomBytes(18).toString('base64url');
  await register(deps, {
    email: EMBEDDED_OPERATOR_EMAIL,
    password,
    name: 'Operator',
    tenantName: 'Operators',
  });
  announce(EMBEDDED_OPERATOR_EMAIL, password);
}
