import type { ServiceApp, ServiceContext } from '@lattice/platform';
import type { NotificationsDeps } from '../domain/deps.ts';
import { sendDueReminders } from '../domain/due-reminders.ts';
import { DueRemindersReply } from './schemas.ts';

/** Routes other services call (the worker's minute job); the gateway does not forward /internal. */
export function registerInternalRoutes(
  app: ServiceApp,
  deps: NotificationsDeps,
  auth: ServiceContext['auth'],
  onQueued: () => void,
): void {
  app.post(
    '/internal/notifications/due-reminders',
    {
      onRequest: [auth.authenticateService],
      schema: {
        hide: true,
        summary: 'Sends every reminder whose due time has passed, each once',
        response: { 200: DueRemindersReply },
      },
    },
    async () => {
      const sent = await sendDueReminders(deps);
      // This instance's publisher starts at once; the others hear the NOTIFY.
      if (sent > 0) onQueued();
      return { sent };
    },
  );
}
