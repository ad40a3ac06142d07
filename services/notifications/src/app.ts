import { ConfigError, type ServiceDefinition, uuidv7 } from '@lattice/platform';
import { type NotificationsConfigProperties, notificationsConfig } from './config.ts';
import type { NotificationsDb } from './data/schema.ts';
import { startDrainLoop } from './delivery/drain-loop.ts';
import { sendDueEmails } from './delivery/email-sender.ts';
import { LiveFanout } from './delivery/live-fanout.ts';
import { devMailboxTransport, smtpTransport } from './delivery/mail-transport.ts';
import type { NotificationsDeps } from './domain/deps.ts';
import { publishPending } from './domain/publish-notifications.ts';
import { usersProfileLookup } from './domain/recipient-profiles.ts';
import { channelsOf } from './domain/wake.ts';
import { notificationConsumers } from './events/consumers.ts';
import { notificationMetrics } from './metrics.ts';
import { registerInternalRoutes } from './routes/internal-routes.ts';
import { registerNotificationRoutes } from './routes/notification-routes.ts';
import { registerStreamRoute } from './routes/stream-route.ts';

/** Messages to users about what happens in Lattice: in-app, live over SSE, and email. */
export const service: ServiceDefinition<NotificationsConfigProperties, NotificationsDb> = {
  name: 'notifications',
  description:
    "The caller's notifications (in-app list, live stream, email) and their channel preferences",
  config: notificationsConfig,
  migrations: new URL('../migrations/', import.meta.url),
  async routes(app, context) {
    const { config, db, events, auth, log, onClose } = context;
    const users = usersProfileLookup({
      discovery: context.discovery,
      serviceTokens: auth.serviceTokens,
      cache: context.cache,
      ttlMs: config.NOTIFICATIONS_PROFILE_CACHE_TTL_MS,
      timeoutMs: config.NOTIFICATIONS_USERS_TIMEOUT_MS,
      log,
    });
    onClose(() => users.close());
    const deps: NotificationsDeps = {
      database: db,
      profiles: users.lookup,
      defaults: {
        locale: validLocale(config.NOTIFICATIONS_DEFAULT_LOCALE),
        timezone: validTimeZone(config.NOTIFICATIONS_DEFAULT_TIMEZONE),
      },
      metrics: notificationMetrics(context.metrics),
      log,
      channels: channelsOf(db.schema),
      maxEventAgeMs: config.NOTIFICATIONS_MAX_EVENT_AGE_HOURS * 60 * 60 * 1000,
      now: () => new Date(),
      // Time-ordered ids keep inserts at the right edge of the primary key index.
      newId: () => uuidv7(),
    };
    const transport = config.SMTP_URL
      ? smtpTransport(config.SMTP_URL, config.SMTP_FROM)
      : devMailboxTransport(db);
    onClose(() => transport.close());

    const fanout = new LiveFanout(deps, {
      pollMs: config.NOTIFICATIONS_POLL_MS,
      lookbackMs: config.NOTIFICATIONS_LIVE_LOOKBACK_MS,
    });
    onClose(() => fanout.stop());
    // NOTIFY reaches every instance on the database (one PostgreSQL database per service in
    // distributed mode, the shared PGlite in embedded mode): a published notification wakes
    // the email queue and the live streams on every instance, whoever published it.
    const published: Array<() => void> = [() => fanout.wake()];
    const stopPublished = await db.listen(deps.channels.published, () => {
      for (const wake of published) wake();
    });
    onClose(() => stopPublished());

    let wakePublisher = () => {};
    if (config.NOTIFICATIONS_PROCESSING) {
      for (const consumer of notificationConsumers(deps)) events.consume(consumer);
      // Every processing instance runs both loops: claims and conditional updates keep each
      // piece of work single.
      const publisher = startDrainLoop({
        name: 'publish',
        pollMs: config.NOTIFICATIONS_POLL_MS,
        log,
        round: () => publishPending(deps),
      });
      const mailer = startDrainLoop({
        name: 'email',
        pollMs: config.NOTIFICATIONS_POLL_MS,
        log,
        round: () =>
          sendDueEmails(deps, {
            transport,
            maxAttempts: config.NOTIFICATIONS_EMAIL_MAX_ATTEMPTS,
            backoffMs: config.NOTIFICATIONS_EMAIL_BACKOFF_MS,
            leaseMs: config.NOTIFICATIONS_EMAIL_LEASE_MS,
          }),
      });
      onClose(() => Promise.all([publisher.stop(), mailer.stop()]).then(() => {}));
      published.push(() => mailer.wake());
      wakePublisher = () => publisher.wake();
      // New rows from consumers and due reminders, on any instance.
      const stopPending = await db.listen(deps.channels.pending, wakePublisher);
      onClose(() => stopPending());
    }

    registerNotificationRoutes(app, deps, auth, transport);
    registerStreamRoute(app, deps, auth, fanout, config.NOTIFICATIONS_SSE_HEARTBEAT_MS);
    registerInternalRoutes(app, deps, auth, () => wakePublisher());
  },
};

/** The schema only knows these are strings; Intl decides whether they mean anything. */
function validLocale(value: string): string {
  try {
    const canonical = Intl.getCanonicalLocales(value)[0];
    if (canonical) return canonical;
  } catch {}
  throw new ConfigError('notifications', [
    { key: 'NOTIFICATIONS_DEFAULT_LOCALE', message: 'is not a BCP 47 language tag' },
  ]);
}

function validTimeZone(value: string): string {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    throw new ConfigError('notifications', [
      { key: 'NOTIFICATIONS_DEFAULT_TIMEZONE', message: 'is not an IANA time zone' },
    ]);
  }
}
