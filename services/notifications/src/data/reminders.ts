import { type Selectable, sql } from 'kysely';
import type { Executor, RemindersTable } from './schema.ts';

export type ReminderRow = Selectable<RemindersTable>;

export interface NewReminder {
  todoId: string;
  tenantId: string;
  userId: string;
  title: string;
  dueAt: Date;
}

/** A redelivered todo.created changes nothing: the first one stands. */
export async function scheduleReminder(db: Executor, reminder: NewReminder): Promise<void> {
  await db
    .insertInto('reminders')
    .values({
      todo_id: reminder.todoId,
      tenant_id: reminder.tenantId,
      user_id: reminder.userId,
      title: reminder.title,
      due_at: reminder.dueAt,
      status: 'pending',
    })
    .onConflict((oc) => oc.column('todo_id').doNothing())
    .execute();
}

/**
 * A completed or deleted todo needs no reminder; one already sent stays sent. Events of
 * different types may be applied out of order, so a cancellation that arrives before the
 * creation leaves a cancelled row behind, which the late creation then leaves alone.
 */
export async function cancelReminder(
  db: Executor,
  todo: { todoId: string; tenantId: string; ownerId: string },
): Promise<void> {
  await db
    .insertInto('reminders')
    .values({
      todo_id: todo.todoId,
      tenant_id: todo.tenantId,
      user_id: todo.ownerId,
      title: '',
      due_at: sql<Date>`now()`,
      status: 'cancelled',
      settled_at: sql<Date>`now()`,
    })
    .onConflict((oc) =>
      oc
        .column('todo_id')
        .doUpdateSet({ status: 'cancelled', settled_at: sql<Date>`now()` })
        .where('reminders.status', '=', 'pending'),
    )
    .execute();
}

/**
 * Marks due reminders sent and answers them, in the caller's transaction. Rows another
 * instance is settling right now are skipped (SKIP LOCKED), so each reminder goes out once.
 */
export async function takeDueReminders(db: Executor, limit: number): Promise<ReminderRow[]> {
  const { rows } = await sql<ReminderRow>`
    UPDATE reminders SET status = 'sent', settled_at = now()
    WHERE todo_id IN (
      SELECT todo_id FROM reminders
      WHERE status = 'pending' AND due_at <= now()
      ORDER BY due_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING *`.execute(db);
  return rows;
}
