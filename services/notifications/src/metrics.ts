import { Counter, type Registry } from 'prom-client';

export interface NotificationMetrics {
  /** One per notification delivered on a channel: in_app (stored and visible), email. */
  sent: Counter<'channel' | 'type'>;
  /** One per failed email attempt; `final` when the attempts ran out. */
  emailFailures: Counter<'type' | 'final'>;
}

export function notificationMetrics(registry: Registry): NotificationMetrics {
  return {
    sent: new Counter({
      name: 'notifications_sent_total',
      help: 'Notifications delivered, by channel (in_app, email) and notification type',
      labelNames: ['channel', 'type'],
      registers: [registry],
    }),
    emailFailures: new Counter({
      name: 'notifications_email_failures_total',
      help: 'Failed email attempts by notification type; final="true" when no attempt is left',
      labelNames: ['type', 'final'],
      registers: [registry],
    }),
  };
}
