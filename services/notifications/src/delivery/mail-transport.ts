import type { Database } from '@lattice/platform';
import { createTransport } from 'nodemailer';
import { storeDevMail } from '../data/dev-mailbox.ts';
import type { Executor, NotificationsDb } from '../data/schema.ts';

export interface OutgoingMail {
  id: string;
  tenantId: string;
  userId: string;
  to: string;
  subject: string;
  text: string;
}

export interface MailTransport {
  readonly kind: 'smtp' | 'dev-mailbox';
  /** Resolves once the mail was accepted; rejects with the reason otherwise. */
  send(mail: OutgoingMail): Promise<void>;
  /**
   * Only for a transport that writes to the service's own database: delivers `mails` in the
   * caller's transaction, so the queue can record them as sent in that same transaction.
   */
  deliverInTransaction?(trx: Executor, mails: OutgoingMail[]): Promise<void>;
  close(): void;
}

/** SMTP through nodemailer when a URL is configured. */
export function smtpTransport(url: string, from: string): MailTransport {
  const transporter = createTransport(url);
  return {
    kind: 'smtp',
    async send(mail) {
      await transporter.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text });
    },
    close: () => transporter.close(),
  };
}

/** Without SMTP (embedded default): the mail lands in a table the API lists. */
export function devMailboxTransport(database: Database<NotificationsDb>): MailTransport {
  return {
    kind: 'dev-mailbox',
    send: (mail) => storeDevMail(database.db, [mail]),
    deliverInTransaction: (trx, mails) => storeDevMail(trx, mails),
    close: () => {},
  };
}
