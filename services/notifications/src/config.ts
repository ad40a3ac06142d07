import { secret } from '@lattice/platform';
import { Type } from 'typebox';

export const notificationsConfig = Type.Object({
  // It may carry the SMTP password: redacted in logs, and readable from SMTP_URL_FILE.
  SMTP_URL: secret(
    Type.String({
      default: '',
      description:
        'SMTP server for emails, e.g. smtp://user:pass@mail:587 or smtps://…; empty: emails go to the dev mailbox (GET /api/v1/notifications/dev-mailbox)',
    }),
  ),
  SMTP_FROM: Type.String({
    default: 'Lattice <no-reply@lattice.local>',
    description: 'From address of notification emails',
  }),
  NOTIFICATIONS_EMAIL_MAX_ATTEMPTS: Type.Integer({
    minimum: 1,
    maximum: 50,
    default: 8,
    description: 'Attempts at sending one email before it is recorded as failed for good',
  }),
  NOTIFICATIONS_EMAIL_BACKOFF_MS: Type.Integer({
    minimum: 10,
    default: 5_000,
    description:
      'Wait before the second attempt at an email; doubles with each attempt (capped at one hour)',
  }),
  NOTIFICATIONS_EMAIL_LEASE_MS: Type.Integer({
    minimum: 1_000,
    default: 60_000,
    description:
      'How long an instance owns an email it is sending; if it dies meanwhile, another sends it after this',
  }),
  NOTIFICATIONS_MAX_EVENT_AGE_HOURS: Type.Integer({
    minimum: 1,
    default: 72,
    description:
      'Events older than this make no notification (a new consumer group reads a stream from its start; nobody wants a welcome for last year)',
  }),
  NOTIFICATIONS_PROCESSING: Type.Boolean({
    default: true,
    description:
      'false: this instance serves the API and live streams only (an SSE tier); others consume events, publish notifications and send emails',
  }),
  NOTIFICATIONS_POLL_MS: Type.Integer({
    minimum: 50,
    default: 2_000,
    description:
      'Safety-net period of the publish, email and live loops; they are woken at once by LISTEN/NOTIFY, polling only covers a lost notification',
  }),
  NOTIFICATIONS_SSE_HEARTBEAT_MS: Type.Integer({
    minimum: 100,
    default: 15_000,
    description: 'Period of the comment line sent on idle event streams, so proxies keep them open',
  }),
  NOTIFICATIONS_LIVE_LOOKBACK_MS: Type.Integer({
    minimum: 0,
    default: 5_000,
    description:
      'The live stream re-reads this much before its last seen notification, so one whose transaction committed late is not skipped',
  }),
  NOTIFICATIONS_PROFILE_CACHE_TTL_MS: Type.Integer({
    minimum: 1_000,
    default: 300_000,
    description: "How long a recipient's locale and time zone from the users service are cached",
  }),
  NOTIFICATIONS_USERS_TIMEOUT_MS: Type.Integer({
    minimum: 50,
    default: 2_000,
    description:
      'Per-attempt timeout of a profile lookup at the users service; on failure the defaults apply',
  }),
  NOTIFICATIONS_DEFAULT_LOCALE: Type.String({
    default: 'en',
    description: 'Locale of a recipient whose profile cannot be read (BCP 47)',
  }),
  NOTIFICATIONS_DEFAULT_TIMEZONE: Type.String({
    default: 'UTC',
    description: 'Time zone of a recipient whose profile cannot be read (IANA)',
  }),
});

export type NotificationsConfigProperties = (typeof notificationsConfig)['properties'];
