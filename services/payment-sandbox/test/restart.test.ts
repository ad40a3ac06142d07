import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { createService } from '@lattice/platform';
import { createTestDatabase } from '@lattice/platform/testing';
import { service } from '../src/app.ts';
import { API_KEY, databases } from './support/harness.ts';

for (const { kind, skip } of databases) {
  describe(`payment sandbox restart on ${kind}`, { skip }, () => {
    test('charges, refunds and flaky counts outlive the process; a key still replays', async () => {
      const { database, cleanup } = await createTestDatabase('payment-sandbox', kind);
      const start = () =>
        createService(service, {
          database,
          env: { LOG_LEVEL: 'silent', PAYMENT_SANDBOX_API_KEY: API_KEY },
        });
      const post = (
        sandbox: Awaited<ReturnType<typeof start>>,
        url: string,
        payload: object,
        key: string,
      ) =>
        sandbox.app.inject({
          method: 'POST',
          url,
          payload,
          headers: { authorization: `Bearer ${API_KEY}`, 'idempotency-key': key },
        });
      try {
        const key = randomUUID();
        const flakyKey = randomUUID();
        const flaky = { amount: 30, currency: 'eur', payment_method: 'pm_card_flaky' };
        const before = await start();
        const charged = (
          await post(before, '/v1/charges', { amount: 900, currency: 'eur' }, key)
        ).json();
        await post(before, '/v1/refunds', { charge: charged.id }, `refund-${key}`);
        assert.equal((await post(before, '/v1/charges', flaky, flakyKey)).statusCode, 503);
        await before.close();

        const after = await start();
        try {
          const replay = await post(after, '/v1/charges', { amount: 900, currency: 'eur' }, key);
          assert.equal(replay.statusCode, 200);
          assert.equal(replay.headers['idempotent-replayed'], 'true');
          assert.equal(replay.json().id, charged.id);
          assert.equal(replay.json().refunded, true);
          // One failure was counted before the restart: one more, then the charge.
          assert.equal((await post(after, '/v1/charges', flaky, flakyKey)).statusCode, 503);
          assert.equal((await post(after, '/v1/charges', flaky, flakyKey)).statusCode, 200);
        } finally {
          await after.close();
        }
      } finally {
        await cleanup();
      }
    });
  });
}
