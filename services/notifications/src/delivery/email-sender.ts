import {
  claimDueEmails,
  type EmailDeliveryRow,
  markEmailFailed,
  markEmailSent,
  takeDueEmailsAsSent,
} from '../data/email-deliveries.ts';
import type { NotificationsDeps } from '../domain/deps.ts';
import type { MailTransport, OutgoingMail } from './mail-transport.ts';

/** Sends in flight per round: each holds a lease until it is recorded. */
const BATCH = 10;
/** Emails one transaction delivers and records, for a transport that writes to the database. */
const IN_TRANSACTION_BATCH = 100;
const MAX_BACKOFF_MS = 60 * 60 * 1000;

export interface EmailSenderOptions {
  transport: MailTransport;
  maxAttempts: number;
  backoffMs: number;
  leaseMs: number;
}

/** Wait before attempt `attempts + 1`: the base doubling per attempt, capped at an hour. */
export function backoffAfter(attempts: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
}

/**
 * One round of the email queue: claims due emails, sends each, records the outcome. Runs after
 * the publishing transaction committed, so a slow or failing mail server never holds back the
 * in-app notification. Answers true when a full batch was claimed.
 */
export async function sendDueEmails(
  deps: NotificationsDeps,
  options: EmailSenderOptions,
): Promise<boolean> {
  if (options.transport.deliverInTransaction) {
    try {
      return await deliverInTransaction(deps, options.transport);
    } catch (error) {
      // Nothing was recorded: this round takes the leased way, which counts a failing attempt
      // and backs off.
      deps.log.warn({ err: error }, 'delivering emails in one transaction failed; one by one');
    }
  }
  const claimed = await claimDueEmails(deps.database.db, BATCH, options.leaseMs);
  await Promise.all(claimed.map((row) => sendOne(deps, options, row)));
  return claimed.length === BATCH;
}

/**
 * The dev mailbox is a table of this database: taking due emails as sent and writing them
 * there commit together, in one transaction for the whole batch, instead of a claim, a write
 * and a mark per email.
 */
async function deliverInTransaction(
  deps: NotificationsDeps,
  transport: MailTransport,
): Promise<boolean> {
  const sent = await deps.database.transaction(async (trx) => {
    const rows = await takeDueEmailsAsSent(trx, IN_TRANSACTION_BATCH);
    if (rows.length > 0) await transport.deliverInTransaction!(trx, rows.map(mailOf));
    return rows;
  });
  for (const row of sent) deps.metrics.sent.inc({ channel: 'email', type: row.type });
  return sent.length === IN_TRANSACTION_BATCH;
}

function mailOf(row: EmailDeliveryRow): OutgoingMail {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    userId: row.user_id,
    to: row.to_address,
    subject: row.subject,
    text: row.text,
  };
}

async function sendOne(
  deps: NotificationsDeps,
  options: EmailSenderOptions,
  row: EmailDeliveryRow,
): Promise<void> {
  try {
    await options.transport.send(mailOf(row));
  } catch (error) {
    const final = row.attempts >= options.maxAttempts;
    const reason = error instanceof Error ? error.message : String(error);
    await markEmailFailed(
      deps.database.db,
      row.id,
      reason.slice(0, 1000),
      final ? undefined : backoffAfter(row.attempts, options.backoffMs),
    );
    deps.metrics.emailFailures.inc({ type: row.type, final: String(final) });
    deps.log.warn(
      { emailId: row.id, attempts: row.attempts, final, reason },
      final ? 'email failed for good' : 'email attempt failed; retried with backoff',
    );
    return;
  }
  await markEmailSent(deps.database.db, row.id);
  deps.metrics.sent.inc({ channel: 'email', type: row.type });
}
