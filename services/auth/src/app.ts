import type { ServiceDefinition } from '@lattice/platform';
import { type AuthConfigProperties, authConfig } from './config.ts';
import type { AuthDb } from './data/schema.ts';
import { parseEmailList } from './domain/credentials.ts';
import type { AuthDeps } from './domain/deps.ts';
import { EMBEDDED_OPERATOR_EMAIL, ensureEmbeddedOperator } from './domain/operator-account.ts';
import { applyUserDeleted, USER_DELETED } from './events/user-deleted.ts';
import { clientIpResolver } from './routes/client-ip.ts';
import { registerInvitationRoutes, registerJwksRoute } from './routes/invitation-routes.ts';
import { registerServiceTokenRoutes } from './routes/service-token-routes.ts';
import { registerSessionRoutes } from './routes/session-routes.ts';
import { accessTokens } from './security/access-tokens.ts';
import { PasswordHasher } from './security/passwords.ts';
import { loadKeyRing } from './security/signing-keys.ts';

const DAY_MS = 86_400_000;

/** Credentials, tenants and tokens: registration, login, refresh rotation, invitations, JWKS. */
export const service: ServiceDefinition<AuthConfigProperties, AuthDb> = {
  name: 'auth',
  description: 'Accounts, tenants and tokens: register, login, refresh, logout, invitations, JWKS',
  config: authConfig,
  migrations: new URL('../migrations/', import.meta.url),
  async routes(app, { config, db, events, log }) {
    const bootstrapOperator =
      config.LATTICE_MODE === 'embedded' &&
      !config.PLATFORM_ADMIN_EMAILS &&
      config.AUTH_EMBEDDED_OPERATOR;
    const embeddedOperator = bootstrapOperator ? EMBEDDED_OPERATOR_EMAIL : '';
    const ring = await loadKeyRing(config, log);
    const deps: AuthDeps = {
      database: db,
      events,
      passwords: new PasswordHasher({
        memoryKib: config.AUTH_ARGON2_MEMORY_KIB,
        passes: config.AUTH_ARGON2_PASSES,
        parallelism: config.AUTH_ARGON2_PARALLELISM,
      }),
      tokens: accessTokens(ring, {
        issuer: config.JWT_ISSUER,
        audience: config.JWT_AUDIENCE,
        ttlSeconds: config.AUTH_ACCESS_TOKEN_TTL_SECONDS,
      }),
      throttle: {
        freeFailuresPerAccount: config.AUTH_LOGIN_FREE_FAILURES_PER_ACCOUNT,
        freeFailuresPerIp: config.AUTH_LOGIN_FREE_FAILURES_PER_IP,
        baseSeconds: config.AUTH_LOGIN_BACKOFF_BASE_SECONDS,
        maxSeconds: config.AUTH_LOGIN_BACKOFF_MAX_SECONDS,
        memorySeconds: config.AUTH_LOGIN_FAILURE_MEMORY_SECONDS,
      },
      platformAdmins: parseEmailList(config.PLATFORM_ADMIN_EMAILS || embeddedOperator),
      refreshTokenTtlMs: config.AUTH_REFRESH_TOKEN_TTL_DAYS * DAY_MS,
      refreshReuseGraceMs: config.AUTH_REFRESH_REUSE_GRACE_SECONDS * 1000,
      invitationTtlMs: config.AUTH_INVITATION_TTL_HOURS * 3_600_000,
      now: () => new Date(),
    };
    await deps.passwords.prepare();
    if (bootstrapOperator) {
      await ensureEmbeddedOperator(deps, (email, password) => {
        // Shown once on the terminal, never written to the logs.
        process.stdout.write(
          `\nLattice operator account (platform-admin), shown only once:\n  email:    ${email}\n  password: ${password}\n\n`,
        );
      });
    }
    // A user deleted in the users service can no longer log in or refresh here.
    events.consume({
      name: 'deleted-users',
      types: [USER_DELETED],
      handler: async (event, trx) => {
        const outcome = await applyUserDeleted(trx, event, deps.now());
        if (outcome === 'unknown-user')
          log.warn({ eventId: event.id, userId: event.subject }, 'deleted user unknown here');
      },
    });
    registerSessionRoutes(app, deps, clientIpResolver(config.AUTH_TRUSTED_PROXIES));
    registerInvitationRoutes(app, deps);
    registerJwksRoute(app, deps);
    registerServiceTokenRoutes(app, {
      credentials: config.AUTH_SERVICE_CREDENTIALS,
      tokens: deps.tokens,
      ttlSeconds: config.AUTH_SERVICE_TOKEN_TTL_SECONDS,
    });
  },
};
