import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { backoffAfter } from '../src/delivery/email-sender.ts';
import {
  NOTIFICATION_TYPES,
  type NotificationParams,
  type NotificationType,
} from '../src/domain/notification-types.ts';
import { formatMoney, humanReason, renderNotification } from '../src/domain/templates.ts';

const en = { locale: 'en', timezone: 'UTC', name: 'Ada' };

describe('templates', () => {
  test('every cancellation reason of the contract reads as words', () => {
    for (const reason of [
      'payment_declined',
      'insufficient_funds',
      'payment_unavailable',
      'payment_timeout',
      'cancelled_by_customer',
    ])
      assert.doesNotMatch(humanReason(reason), /_/, reason);
    assert.equal(humanReason('FRAUD_SUSPECTED'), 'fraud suspected', 'an unknown code still reads');
  });

  test('money follows the locale; an unknown currency still renders', () => {
    assert.equal(formatMoney(123456, 'EUR', en), '€1,234.56');
    assert.match(formatMoney(123456, 'EUR', { ...en, locale: 'fr-FR' }), /^1\s234,56\s€$/);
    assert.equal(formatMoney(500, 'XX1', en), '5.00 XX1');
  });

  test('formatters kept for reuse stay per locale, currency and zone', () => {
    const de = { ...en, locale: 'de-DE' };
    const params = { todoId: 't', title: 'Call', dueAt: '2030-01-31T23:30:00.000Z' };
    const tokyo = { ...en, timezone: 'Asia/Tokyo' };
    for (let round = 0; round < 2; round++) {
      assert.equal(formatMoney(123456, 'EUR', en), '€1,234.56');
      assert.match(formatMoney(123456, 'EUR', de), /^1\.234,56\s€$/);
      assert.equal(formatMoney(123456, 'USD', en), '$1,234.56');
      assert.match(renderNotification('todo_reminder', params, en).body, /Jan 31, 2030/);
      assert.match(renderNotification('todo_reminder', params, tokyo).body, /Feb 1, 2030/);
    }
  });

  test('the email text greets by name and carries the body; no name, no dangling comma', () => {
    const rendered = renderNotification(
      'order_cancelled',
      { orderId: '0195f3a0-7b1c', totalCents: 1000, currency: 'USD', reason: 'payment_declined' },
      en,
    );
    assert.equal(rendered.subject, 'Order 0195f3a0 cancelled');
    assert.equal(rendered.text, `Hello Ada,\n\n${rendered.body}\n\n— Lattice\n`);
    const anonymous = renderNotification('welcome', { name: '' }, { ...en, name: '' });
    assert.match(anonymous.text, /^Hello,\n/);
    assert.equal(anonymous.body, 'Welcome aboard! Your account is ready.');
  });

  test('a reminder shows the due time in the reader’s zone', () => {
    const params = { todoId: 't', title: 'Call', dueAt: '2030-01-31T23:30:00.000Z' };
    const utc = renderNotification('todo_reminder', params, en);
    const tokyo = renderNotification('todo_reminder', params, { ...en, timezone: 'Asia/Tokyo' });
    assert.match(utc.body, /Jan 31, 2030/);
    assert.match(tokyo.body, /Feb 1, 2030/);
  });

  test('every type renders a title, a body, a subject and a text', () => {
    const samples: { [T in NotificationType]: NotificationParams[T] } = {
      welcome: { name: 'Ada' },
      order_confirmed: { orderId: 'o1', totalCents: 1, currency: 'EUR' },
      order_cancelled: { orderId: 'o1', totalCents: 1, currency: 'EUR', reason: 'payment_timeout' },
      payment_refunded: { orderId: 'o1', amountCents: 1, currency: 'EUR', reason: 'x' },
      todo_reminder: { todoId: 't1', title: 'T', dueAt: '2030-01-01T00:00:00Z' },
    };
    for (const type of NOTIFICATION_TYPES) {
      const rendered = renderNotification(type, samples[type] as never, en);
      for (const part of ['title', 'body', 'subject', 'text'] as const)
        assert.ok(rendered[part].length > 0, `${type} ${part}`);
    }
  });
});

describe('email backoff', () => {
  test('doubles from the base per attempt and stops growing at an hour', () => {
    assert.deepEqual(
      [1, 2, 3, 4].map((attempts) => backoffAfter(attempts, 5_000)),
      [5_000, 10_000, 20_000, 40_000],
    );
    assert.equal(backoffAfter(30, 5_000), 3_600_000);
  });
});
