import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { call, databases, type Sandbox, sharedSandbox } from './support/harness.ts';

const charge = (sandbox: Sandbox, payload: object, key?: string) =>
  call(sandbox, 'POST', '/v1/charges', { payload, key });

async function chargesWithKey(sandbox: Sandbox, key: string) {
  const response = await call(
    sandbox,
    'GET',
    `/v1/charges?limit=100&idempotency_key=${encodeURIComponent(key)}`,
  );
  assert.equal(response.statusCode, 200);
  return response.json().data as Array<{ id: string; status: string }>;
}

for (const { kind, skip } of databases) {
  describe(`payment sandbox on ${kind}`, { skip }, () => {
    const sandbox = sharedSandbox(kind);

    test('pm_card_ok (and no payment method) succeeds with a charge in the processor vocabulary', async () => {
      const key = randomUUID();
      const ok = await charge(
        sandbox(),
        { amount: 2598, currency: 'EUR', payment_method: 'pm_card_ok' },
        key,
      );
      assert.equal(ok.statusCode, 200);
      const body = ok.json();
      assert.match(body.id, /^ch_[\w-]{24}$/);
      assert.equal(body.object, 'charge');
      assert.equal(body.status, 'succeeded');
      assert.equal(body.amount, 2598);
      assert.equal(body.currency, 'eur');
      assert.equal(body.failure_code, null);
      assert.equal(body.paid, true);

      const plain = await charge(sandbox(), { amount: 100, currency: 'usd' });
      assert.equal(plain.statusCode, 200);
      assert.equal(plain.json().payment_method, 'pm_card_ok');
      const fetched = await call(sandbox(), 'GET', `/v1/charges/${body.id}`);
      assert.deepEqual(fetched.json(), body);
    });

    test('pm_card_declined and pm_card_insufficient_funds answer 402 with the failed charge', async () => {
      for (const [method, code] of [
        ['pm_card_declined', 'card_declined'],
        ['pm_card_insufficient_funds', 'insufficient_funds'],
      ] as const) {
        const key = randomUUID();
        const response = await charge(
          sandbox(),
          { amount: 500, currency: 'eur', payment_method: method },
          key,
        );
        assert.equal(response.statusCode, 402, method);
        const { error } = response.json();
        assert.equal(error.type, 'card_error');
        assert.equal(error.code, code);
        assert.equal(error.charge.status, 'failed');
        assert.equal(error.charge.failure_code, code);
        assert.equal(error.charge.paid, false);
        // The decline is the key's outcome: a retry replays it, nothing new is created.
        const again = await charge(
          sandbox(),
          { amount: 500, currency: 'eur', payment_method: method },
          key,
        );
        assert.equal(again.statusCode, 402);
        assert.equal(again.json().error.charge.id, error.charge.id);
        assert.equal((await chargesWithKey(sandbox(), key)).length, 1);
      }
    });

    test('pm_card_slow answers after PAYMENT_SANDBOX_SLOW_MS and succeeds', async () => {
      const started = Date.now();
      const response = await charge(
        sandbox(),
        { amount: 700, currency: 'eur', payment_method: 'pm_card_slow' },
        randomUUID(),
      );
      assert.equal(response.statusCode, 200);
      assert.equal(response.json().status, 'succeeded');
      // A lower bound only: the configured delay is the least it can take.
      assert.ok(Date.now() - started >= 290, 'waited the configured delay');
    });

    test('pm_card_flaky fails transiently twice per key, then succeeds once and replays', async () => {
      const key = randomUUID();
      const payload = { amount: 900, currency: 'eur', payment_method: 'pm_card_flaky' };
      const first = await charge(sandbox(), payload, key);
      const second = await charge(sandbox(), payload, key);
      assert.deepEqual([first.statusCode, second.statusCode], [503, 503], 'two transient failures');
      assert.equal(first.json().error.type, 'api_error');
      assert.equal(first.json().error.code, 'processing_error');
      assert.equal((await chargesWithKey(sandbox(), key)).length, 0, 'a failure charges nothing');

      const third = await charge(sandbox(), payload, key);
      assert.equal(third.statusCode, 200);
      const fourth = await charge(sandbox(), payload, key);
      assert.equal(fourth.statusCode, 200);
      assert.equal(fourth.headers['idempotent-replayed'], 'true');
      assert.equal(fourth.json().id, third.json().id);
      assert.equal((await chargesWithKey(sandbox(), key)).length, 1);

      // Another key starts its own count.
      assert.equal((await charge(sandbox(), payload, randomUUID())).statusCode, 503);
    });

    test('the same key with the same parameters is one charge, with others a 422', async () => {
      const key = randomUUID();
      const payload = { amount: 1200, currency: 'EUR', payment_method: 'pm_card_ok' };
      const answers = await Promise.all([1, 2, 3].map(() => charge(sandbox(), payload, key)));
      assert.deepEqual(
        answers.map((a) => a.statusCode),
        [200, 200, 200],
      );
      assert.equal(new Set(answers.map((a) => a.json().id)).size, 1, 'concurrent calls: one id');
      // Currency case is not a different parameter: the processor normalises it.
      const lower = await charge(sandbox(), { ...payload, currency: 'eur' }, key);
      assert.equal(lower.json().id, answers[0]!.json().id);

      const other = await charge(sandbox(), { ...payload, amount: 1300 }, key);
      assert.equal(other.statusCode, 422);
      assert.equal(other.json().error.type, 'idempotency_error');
      assert.equal(other.json().error.code, 'idempotency_key_reused');
      assert.equal((await chargesWithKey(sandbox(), key)).length, 1);
    });

    test('a slow charge retried with its key while in flight ends in one charge', async () => {
      const key = randomUUID();
      const payload = { amount: 300, currency: 'eur', payment_method: 'pm_card_slow' };
      const [a, b] = await Promise.all([
        charge(sandbox(), payload, key),
        charge(sandbox(), payload, key),
      ]);
      assert.equal(a.json().id, b.json().id);
      assert.equal((await chargesWithKey(sandbox(), key)).length, 1);
    });

    test('refunds: a succeeded charge once, replayed by key, refused twice or when failed', async () => {
      const paid = (
        await charge(sandbox(), { amount: 4000, currency: 'eur' }, randomUUID())
      ).json();
      const key = randomUUID();
      const refund = await call(sandbox(), 'POST', '/v1/refunds', {
        payload: { charge: paid.id, reason: 'requested_by_customer' },
        key,
      });
      assert.equal(refund.statusCode, 200);
      assert.match(refund.json().id, /^re_/);
      assert.equal(refund.json().amount, 4000);
      assert.equal(refund.json().status, 'succeeded');
      const replay = await call(sandbox(), 'POST', '/v1/refunds', {
        payload: { charge: paid.id, reason: 'requested_by_customer' },
        key,
      });
      assert.equal(replay.json().id, refund.json().id);
      const charged = await call(sandbox(), 'GET', `/v1/charges/${paid.id}`);
      assert.equal(charged.json().refunded, true);
      assert.equal(charged.json().amount_refunded, 4000);

      const twice = await call(sandbox(), 'POST', '/v1/refunds', {
        payload: { charge: paid.id },
        key: randomUUID(),
      });
      assert.equal(twice.statusCode, 400);
      assert.equal(twice.json().error.code, 'charge_already_refunded');

      const declined = await charge(
        sandbox(),
        { amount: 10, currency: 'eur', payment_method: 'pm_card_declined' },
        randomUUID(),
      );
      const failed = await call(sandbox(), 'POST', '/v1/refunds', {
        payload: { charge: declined.json().error.charge.id },
      });
      assert.equal(failed.json().error.code, 'charge_not_refundable');
      const missing = await call(sandbox(), 'POST', '/v1/refunds', {
        payload: { charge: 'ch_nope' },
      });
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().error.code, 'resource_missing');
    });

    test('the outage switch makes processing calls answer 503 until it is turned off', async () => {
      try {
        const on = await call(sandbox(), 'POST', '/v1/sandbox/outage', {
          payload: { enabled: true },
        });
        assert.equal(on.statusCode, 200);
        assert.equal(on.json().enabled, true);
        const key = randomUUID();
        const down = await charge(sandbox(), { amount: 100, currency: 'eur' }, key);
        assert.equal(down.statusCode, 503);
        assert.equal(down.json().error.code, 'service_unavailable');
        assert.equal((await call(sandbox(), 'GET', '/v1/charges')).statusCode, 503);
        assert.equal(
          (await sandbox().app.inject({ method: 'GET', url: '/health/ready' })).statusCode,
          200,
          'the process itself stays up',
        );
        const state = await call(sandbox(), 'GET', '/v1/sandbox/outage');
        assert.equal(state.json().enabled, true);

        await call(sandbox(), 'POST', '/v1/sandbox/outage', { payload: { enabled: false } });
        const up = await charge(sandbox(), { amount: 100, currency: 'eur' }, key);
        assert.equal(up.statusCode, 200);
        assert.equal((await chargesWithKey(sandbox(), key)).length, 1);
      } finally {
        await call(sandbox(), 'POST', '/v1/sandbox/outage', { payload: { enabled: false } });
      }
    });

    test('in a lost_responses outage charges are made but every answer is a 503', async () => {
      const key = randomUUID();
      const payload = { amount: 250, currency: 'eur' };
      try {
        await call(sandbox(), 'POST', '/v1/sandbox/outage', {
          payload: { enabled: true, mode: 'lost_responses' },
        });
        const lost = await charge(sandbox(), payload, key);
        assert.equal(lost.statusCode, 503);
        const declined = await charge(
          sandbox(),
          { ...payload, payment_method: 'pm_card_declined' },
          randomUUID(),
        );
        assert.equal(declined.statusCode, 503, 'a decline is lost too');
        assert.equal((await call(sandbox(), 'GET', '/v1/charges')).statusCode, 503);
      } finally {
        await call(sandbox(), 'POST', '/v1/sandbox/outage', { payload: { enabled: false } });
      }
      const [made] = await chargesWithKey(sandbox(), key);
      assert.equal(made?.status, 'succeeded', 'the charge was made');
      const retried = await charge(sandbox(), payload, key);
      assert.equal(retried.json().id, made?.id, 'a retry with the key finds it');
    });

    test('listing pages newest first and filters by payment method and status', async () => {
      const method = 'pm_card_insufficient_funds';
      for (let i = 0; i < 3; i++) {
        await charge(sandbox(), { amount: 10 + i, currency: 'eur', payment_method: method });
      }
      const first = await call(
        sandbox(),
        'GET',
        `/v1/charges?limit=2&payment_method=${method}&status=failed`,
      );
      const page = first.json();
      assert.equal(page.object, 'list');
      assert.equal(page.data.length, 2);
      assert.equal(page.has_more, true);
      assert.ok(page.data[0].amount > page.data[1].amount, 'newest first');
      const next = await call(
        sandbox(),
        'GET',
        `/v1/charges?limit=100&payment_method=${method}&starting_after=${page.data[1].id}`,
      );
      assert.ok(next.json().data.length >= 1);
      assert.ok(next.json().data.every((c: { id: string }) => c.id !== page.data[0].id));
    });

    test('without the secret key, or with bad parameters, the processor answers in its own error format', async () => {
      const anonymous = await call(sandbox(), 'POST', '/v1/charges', {
        payload: { amount: 100, currency: 'eur' },
        apiKey: null,
      });
      assert.equal(anonymous.statusCode, 401);
      assert.equal(anonymous.json().error.type, 'authentication_error');
      const wrong = await call(sandbox(), 'GET', '/v1/charges', { apiKey: 'sk_test_wrong' });
      assert.equal(wrong.statusCode, 401);
      assert.equal(wrong.json().error.code, 'api_key_invalid');

      const bad = await charge(sandbox(), { amount: -5, currency: 'euro' });
      assert.equal(bad.statusCode, 400);
      assert.equal(bad.json().error.type, 'invalid_request_error');
      const missing = await charge(sandbox(), { currency: 'eur' });
      assert.equal(missing.statusCode, 400);
      assert.equal(missing.json().error.param, 'amount');
      const unknown = await charge(sandbox(), {
        amount: 100,
        currency: 'eur',
        payment_method: 'pm_card_nope',
      });
      assert.equal(unknown.statusCode, 400);
      assert.equal(unknown.json().error.code, 'resource_missing');
      // What the gateway would forward (/api/v1/<service>/... unchanged) reaches nothing.
      const viaGateway = await call(sandbox(), 'GET', '/api/v1/payment-sandbox/v1/charges');
      assert.equal(viaGateway.statusCode, 404);
      assert.equal(viaGateway.json().data, undefined);
      const noRoute = await call(sandbox(), 'GET', '/v1/customers');
      assert.equal(noRoute.statusCode, 404);
      assert.equal(noRoute.json().error.code, 'resource_missing');
    });

    test('charges are in the database, so they outlive the process', async () => {
      const paid = (await charge(sandbox(), { amount: 77, currency: 'eur' }, randomUUID())).json();
      const row = await sandbox()
        .context.db.db.selectFrom('charges')
        .select(['id', 'amount', 'status'])
        .where('id', '=', paid.id)
        .executeTakeFirst();
      assert.deepEqual(row, { id: paid.id, amount: 77, status: 'succeeded' });
    });
  });
}
