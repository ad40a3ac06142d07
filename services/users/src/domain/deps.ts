import type { Database, ServiceEvents } from '@lattice/platform';
import type { UsersDb } from '../data/schema.ts';

/** What the use cases need, built once in app.ts; tests reach them through HTTP only. */
export interface UsersDeps {
  database: Database<UsersDb>;
  /** Records events in the outbox with the state change. */
  events: ServiceEvents<UsersDb>;
  /** Reported for users who have not chosen their own. */
  defaults: { locale: string; timezone: string };
  now(): Date;
}
