import { wakeAtCommit } from '@lattice/platform';
import { insertPending } from '../data/notifications.ts';
import { takeDueReminders } from '../data/reminders.ts';
import type { NotificationsDeps } from './deps.ts';
import type { NotificationParams } from './notification-types.ts';

const BATCH = 500;

/**
 * Turns every reminder whose due time has passed into a notification, once: the reminder is
 * marked sent in the transaction that stores the notification (keyed by the todo and its due
 * date, so even a reminder sent twice would make one, and a todo whose date moved after its
 * reminder went out is reminded again for the new date). Answers how many went out.
 */
export async function sendDueReminders(deps: NotificationsDeps): Promise<number> {
  let sent = 0;
  for (;;) {
    const count = await deps.database.transaction(async (trx) => {
      const due = await takeDueReminders(trx, BATCH);
      const inserted = await insertPending(
        trx,
        due.map((reminder) => {
          const params: NotificationParams['todo_reminder'] = {
            todoId: reminder.todo_id,
            title: reminder.title,
            dueAt: reminder.due_at.toISOString(),
          };
          return {
            id: deps.newId(),
            tenantId: reminder.tenant_id,
            userId: reminder.user_id,
            eventId: `reminder:${reminder.todo_id}:${params.dueAt}`,
            type: 'todo_reminder',
            params,
          };
        }),
      );
      // Any processing instance may publish them: this one's publisher when it runs one.
      if (inserted > 0) await wakeAtCommit(trx, deps.channels.pending);
      return due.length;
    });
    sent += count;
    if (count < BATCH) return sent;
  }
}
