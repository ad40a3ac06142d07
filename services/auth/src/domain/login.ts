import { findUserByEmail, updatePasswordHash } from '../data/users.ts';
import { AuthErrors } from '../errors.ts';
import { normalizeEmail } from './credentials.ts';
import type { AuthDeps } from './deps.ts';
import {
  assertNotThrottled,
  recordFailedLogin,
  recordSuccessfulLogin,
  throttleKeys,
} from './login-throttle.ts';
import { type Session, sessionFor, startTokenFamily } from './sessions.ts';

export interface LoginInput {
  email: string;
  password: string;
  clientIp: string;
}

/**
 * An unknown email and a wrong password answer alike, in body and in time: both run one
 * argon2 verification and both count against the throttle.
 */
export async function login(deps: AuthDeps, input: LoginInput): Promise<Session> {
  const email = normalizeEmail(input.email);
  const keys = throttleKeys(deps, email, input.clientIp);
  await assertNotThrottled(deps, keys);

  const password = input.password.normalize('NFKC');
  const user = await findUserByEmail(deps.database.db, email);
  const valid = user
    ? await deps.passwords.verify(user.password_hash, password)
    : await deps.passwords.verifyDummy(password);
  if (!user || !valid || user.deleted_at) {
    await recordFailedLogin(deps, keys);
    throw AuthErrors.invalidCredentials();
  }
  await recordSuccessfulLogin(deps, keys);

  if (deps.passwords.needsRehash(user.password_hash)) {
    await updatePasswordHash(deps.database.db, user, await deps.passwords.hash(password));
  }
  const refreshToken = await deps.database.transaction((trx) =>
    startTokenFamily(deps, trx, { tenantId: user.tenant_id, userId: user.id }),
  );
  return sessionFor(deps, user, refreshToken);
}
