import { type Selectable, sql } from 'kysely';
import type { Executor, RemindersTable } from './schema.ts';

export type ReminderRow = Selectable<RemindersTable>;

export interface NewReminder {
  todoId: string;
  tenantId: string;
  userId: string;
  title: string;
  dueAt: Date;
  /** The time of the todo event this comes from. */
  changedAt: Date;
}

/** A todo as an update left it: the reminder follows its title, due date and done state. */
export interface TodoNow {
  todoId: string;
  tenantId: string;
  userId: string;
  title: string;
  dueAt: Date | null;
  done: boolean;
  /** The time of the update. */
  changedAt: Date;
}

/**
 * Events of one todo may be applied out of order (a retried delivery comes after a later one).
 * Every change below writes the time of its event and applies only over news as old or older
 * (events of one change share its time: the latest applied wins, as in order), and news about
 * a todo without a reminder row leaves one behind (cancelled, if no reminder is wanted) for a
 * late creation to leave alone.
 */
const OLDER_NEWS = sql<boolean>`reminders.todo_changed_at <= excluded.todo_changed_at`;

/** The news applied to a reminder that is no longer wanted: pending becomes cancelled. */
const CANCEL_IF_PENDING = {
  status: sql<
    ReminderRow['status']
  >`CASE WHEN reminders.status = 'pending' THEN 'cancelled' ELSE reminders.status END`,
  settled_at: sql<Date | null>`CASE WHEN reminders.status = 'pending' THEN now() ELSE reminders.settled_at END`,
  todo_changed_at: sql<Date>`excluded.todo_changed_at`,
};

/** A redelivered todo.created changes nothing, and neither does one applied after later news. */
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
      todo_changed_at: reminder.changedAt,
    })
    .onConflict((oc) => oc.column('todo_id').doNothing())
    .execute();
}

/** A completed or deleted todo needs no reminder; one already sent stays sent. */
export async function cancelReminder(
  db: Executor,
  todo: { todoId: string; tenantId: string; ownerId: string },
  changedAt: Date,
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
      todo_changed_at: changedAt,
    })
    .onConflict((oc) => oc.column('todo_id').doUpdateSet(CANCEL_IF_PENDING).where(OLDER_NEWS))
    .execute();
}

/**
 * Follows an updated todo. An open todo with a due date has a pending reminder at that date:
 * a moved date moves it, and schedules it again if it was sent for the old date or cancelled
 * (the todo was reopened). A todo done or without a due date has none: a pending one is
 * cancelled, a sent one stays sent. The title follows either way.
 */
export async function followTodo(db: Executor, todo: TodoNow): Promise<void> {
  const wanted = todo.dueAt !== null && !todo.done;
  // A reminder already sent for this very due date is not sent again.
  const sentForThisDate = sql<boolean>`reminders.status = 'sent' AND reminders.due_at = excluded.due_at`;
  await db
    .insertInto('reminders')
    .values({
      todo_id: todo.todoId,
      tenant_id: todo.tenantId,
      user_id: todo.userId,
      title: todo.title,
      due_at: todo.dueAt ?? todo.changedAt,
      status: wanted ? 'pending' : 'cancelled',
      settled_at: wanted ? null : sql<Date>`now()`,
      todo_changed_at: todo.changedAt,
    })
    .onConflict((oc) =>
      oc
        .column('todo_id')
        .doUpdateSet(
          wanted
            ? {
                title: sql`excluded.title`,
                due_at: sql`excluded.due_at`,
                status: sql`CASE WHEN ${sentForThisDate} THEN 'sent' ELSE 'pending' END`,
                settled_at: sql`CASE WHEN ${sentForThisDate} THEN reminders.settled_at END`,
                todo_changed_at: sql`excluded.todo_changed_at`,
              }
            : { ...CANCEL_IF_PENDING, title: sql`excluded.title` },
        )
        .where(OLDER_NEWS),
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
