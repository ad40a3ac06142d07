import type { Database, ServiceEvents } from '@lattice/platform';
import type { AuthDb } from '../data/schema.ts';
import type { AccessTokens } from '../security/access-tokens.ts';
import type { PasswordHasher } from '../security/passwords.ts';
import type { ThrottlePolicy } from './throttle-policy.ts';

/** What the use cases need, built once in app.ts; tests reach them through HTTP only. */
export interface AuthDeps {
  database: Database<AuthDb>;
  /** Records events in the outbox with the state change; consumers are declared in app.ts. */
  events: ServiceEvents<AuthDb>;
  passwords: PasswordHasher;
  tokens: AccessTokens;
  throttle: ThrottlePolicy;
  platformAdmins: ReadonlySet<string>;
  refreshTokenTtlMs: number;
  refreshReuseGraceMs: number;
  invitationTtlMs: number;
  now(): Date;
}
