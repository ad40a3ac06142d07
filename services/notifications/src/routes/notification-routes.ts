import {
  type Identity,
  PlatformErrors,
  type ServiceApp,
  type ServiceContext,
} from '@lattice/platform';
import type { FastifyRequest } from 'fastify';
import { listDevMail } from '../data/dev-mailbox.ts';
import type { MailTransport } from '../delivery/mail-transport.ts';
import type { NotificationsDeps } from '../domain/deps.ts';
import { getPreferences, updatePreferences } from '../domain/preferences.ts';
import {
  listNotifications,
  markAllRead,
  markRead,
  recipientOf,
} from '../domain/read-notifications.ts';
import {
  DevMailboxQuery,
  DevMailboxReply,
  ListQuery,
  NotificationPageReply,
  NotificationParams,
  PreferencesBody,
  PreferencesReply,
} from './schemas.ts';

const tags = ['notifications'];
const description = 'Requires `Authorization: Bearer <accessToken>`';

/** The verified caller, set by the kit's `authenticate` hook that every route here runs first. */
export function callerOf(request: FastifyRequest): Identity {
  if (!request.identity) throw new Error('route registered without the authenticate hook');
  return request.identity;
}

export function registerNotificationRoutes(
  app: ServiceApp,
  deps: NotificationsDeps,
  auth: ServiceContext['auth'],
  transport: MailTransport,
): void {
  const onRequest = [auth.authenticate];

  app.get(
    '/api/v1/notifications',
    {
      onRequest,
      schema: {
        tags,
        summary: "The caller's notifications, newest first",
        description,
        querystring: ListQuery,
        response: { 200: NotificationPageReply },
      },
    },
    async (request) => listNotifications(deps, callerOf(request), request.query),
  );

  app.post(
    '/api/v1/notifications/:id/read',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Mark one notification read (204)',
        description,
        params: NotificationParams,
      },
    },
    async (request, reply) => {
      await markRead(deps, callerOf(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.post(
    '/api/v1/notifications/read-all',
    {
      onRequest,
      schema: { tags, summary: "Mark all the caller's notifications read (204)", description },
    },
    async (request, reply) => {
      await markAllRead(deps, callerOf(request));
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/v1/notifications/preferences',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Channels on or off per notification type',
        description,
        response: { 200: PreferencesReply },
      },
    },
    async (request) => getPreferences(deps, callerOf(request)),
  );

  app.put(
    '/api/v1/notifications/preferences',
    {
      onRequest,
      schema: {
        tags,
        summary: 'Turn channels on or off per type; answers every preference',
        description,
        body: PreferencesBody,
        response: { 200: PreferencesReply },
      },
    },
    async (request) => updatePreferences(deps, callerOf(request), request.body as never),
  );

  app.get(
    '/api/v1/notifications/dev-mailbox',
    {
      onRequest,
      schema: {
        tags,
        summary:
          "Emails written to the dev mailbox (no SMTP_URL): the caller's own; all=true for a platform-admin",
        description,
        querystring: DevMailboxQuery,
        response: { 200: DevMailboxReply },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      if (request.query.all && !caller.roles.includes('platform-admin'))
        throw PlatformErrors.forbidden('Only a platform-admin may read every mailbox');
      const rows = await listDevMail(
        deps.database.db,
        request.query.all ? undefined : recipientOf(caller),
        request.query.limit,
      );
      return {
        transport: transport.kind,
        items: rows.map((row) => ({
          id: row.id,
          to: row.to_address,
          subject: row.subject,
          text: row.text,
          createdAt: row.created_at.toISOString(),
        })),
      };
    },
  );
}
