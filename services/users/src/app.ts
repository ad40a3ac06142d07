import { ConfigError, type ServiceDefinition } from '@lattice/platform';
import { type UsersConfigProperties, usersConfig } from './config.ts';
import type { UsersDb } from './data/schema.ts';
import type { UsersDeps } from './domain/deps.ts';
import { canonicalLocale, canonicalTimeZone } from './domain/preferences.ts';
import { applyUserRegistered, USER_REGISTERED } from './events/user-registered.ts';
import { registerAdminRoutes } from './routes/admin-routes.ts';
import { registerInternalRoutes } from './routes/internal-routes.ts';
import { registerMeRoutes } from './routes/me-routes.ts';

/** Profiles of the accounts auth registers: the caller's own, and a tenant admin's view of the tenant. */
export const service: ServiceDefinition<UsersConfigProperties, UsersDb> = {
  name: 'users',
  description: 'User profiles: me, and the users of a tenant for its admins',
  config: usersConfig,
  migrations: new URL('../migrations/', import.meta.url),
  routes(app, { config, db, events, auth }) {
    const deps: UsersDeps = {
      database: db,
      events,
      defaults: {
        locale: defaultOrStop('USERS_DEFAULT_LOCALE', canonicalLocale(config.USERS_DEFAULT_LOCALE)),
        timezone: defaultOrStop(
          'USERS_DEFAULT_TIMEZONE',
          canonicalTimeZone(config.USERS_DEFAULT_TIMEZONE),
        ),
      },
      now: () => new Date(),
    };
    // Profiles come from auth's registrations; the inbox makes each apply once.
    events.consume({
      name: 'profiles',
      types: [USER_REGISTERED],
      handler: async (event, trx) => {
        await applyUserRegistered(trx, event);
      },
    });
    registerMeRoutes(app, deps, auth);
    registerAdminRoutes(app, deps, auth);
    registerInternalRoutes(app, deps, auth);
  },
};

/** The schema only knows these are strings; Intl decides whether they mean anything. */
function defaultOrStop(key: string, canonical: string | undefined): string {
  if (canonical === undefined)
    throw new ConfigError('users', [
      { key, message: 'is not a valid value (see the key description)' },
    ]);
  return canonical;
}
