import type { Database } from '@lattice/platform';
import type { FastifyBaseLogger } from 'fastify';
import type { Recipient } from '../data/notifications.ts';
import type { NotificationsDb } from '../data/schema.ts';
import type { NotificationMetrics } from '../metrics.ts';

/** What the users service tells about a recipient; undefined when it cannot be asked. */
export interface RecipientProfile {
  email: string;
  name: string;
  locale: string;
  timezone: string;
}

export type ProfileLookup = (recipient: Recipient) => Promise<RecipientProfile | undefined>;

/** What the use cases need, built once in app.ts; tests reach them through HTTP and the bus. */
export interface NotificationsDeps {
  database: Database<NotificationsDb>;
  profiles: ProfileLookup;
  defaults: { locale: string; timezone: string };
  metrics: NotificationMetrics;
  log: FastifyBaseLogger;
  /** NOTIFY channels: new rows to publish, and newly published notifications (live and email). */
  channels: { pending: string; published: string };
  /** Older events are stale news: they make no notification. */
  maxEventAgeMs: number;
  now(): Date;
  newId(): string;
}
