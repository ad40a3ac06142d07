import type { Database } from '@lattice/platform';
import { createTransport } from 'nodemailer';
import { storeDevMail } from '../data/dev-mailbox.ts';
import type { NotificationsDb } from '../data/schema.ts';

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
    send: (mail) => storeDevMail(database.db, mail),
    close: () => {},
  };
}
