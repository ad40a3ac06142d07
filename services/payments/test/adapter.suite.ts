import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { sandboxProvider } from '../src/provider/sandbox-adapter.ts';
import { type Fixture, PROVIDER_KEY } from './support/harness.ts';

function adapter(baseUrl: string, apiKey = PROVIDER_KEY) {
  const errors: Array<Record<string, unknown>> = [];
  const provider = sandboxProvider({
    baseUrl: () => baseUrl,
    apiKey,
    timeoutMs: 2000,
    retries: 1,
    backoff: { initialMs: 5, maxMs: 10 },
    breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 },
    logger: { warn: () => {}, error: (obj) => void errors.push(obj) },
  });
  return { provider, errors };
}

const charge = (key: string, paymentMethod = 'pm_card_ok') => ({
  idempotencyKey: key,
  amountCents: 500,
  currency: 'EUR',
  paymentMethod,
  description: 'adapter test',
});

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return `http://127.0.0.1:${port}`;
}

export function adapterBehaviours(fx: () => Fixture): void {
  describe('provider adapter (anti-corruption layer)', () => {
    test('charges, lookups and refunds come back in our vocabulary only', async () => {
      const { provider } = adapter(fx().processor.url);
      try {
        const key = `adapter:${randomUUID()}`;
        assert.deepEqual(await provider.findCharge(key), { kind: 'none' });
        const charged = await provider.charge(charge(key));
        assert.equal(charged.kind, 'charged');
        const reference = charged.kind === 'charged' ? charged.reference : '';
        assert.deepEqual(await provider.findCharge(key), { kind: 'charged', reference });
        const [made] = await fx().processor.chargesWithKey(key);
        assert.equal((made as unknown as { currency: string }).currency, 'eur');

        const declinedKey = `adapter:${randomUUID()}`;
        assert.deepEqual(await provider.charge(charge(declinedKey, 'pm_card_declined')), {
          kind: 'declined',
          reason: 'payment_declined',
        });
        assert.deepEqual(await provider.findCharge(declinedKey), { kind: 'none' });

        const refund = await provider.refund({
          idempotencyKey: `refund:${key}`,
          chargeReference: reference,
          reason: 'cancelled_by_customer',
        });
        assert.equal(refund.kind, 'refunded');
        assert.deepEqual(
          await provider.refund({
            idempotencyKey: `other:${key}`,
            chargeReference: reference,
            reason: 'again',
          }),
          { kind: 'refunded', reference: null },
          'already refunded: the money is back either way',
        );
        const missing = await provider.refund({
          idempotencyKey: randomUUID(),
          chargeReference: 'ch_missing',
          reason: 'x',
        });
        assert.equal(missing.kind, 'not_refundable');
        assert.equal(provider.circuitState(), 'closed');
      } finally {
        await provider.close();
      }
    });

    test('a refused API key is logged as an error and reads as unavailable, not as a decline', async () => {
      const { provider, errors } = adapter(fx().processor.url, 'sk_test_wrong_key');
      try {
        const outcome = await provider.charge(charge(randomUUID()));
        assert.equal(outcome.kind, 'unavailable');
        assert.equal(errors.length, 1);
        assert.equal(errors[0]?.status, 401);
        assert.equal((await provider.findCharge(randomUUID())).kind, 'unavailable');
      } finally {
        await provider.close();
      }
    });

    test('an unreachable provider is unavailable and opens the circuit, which then fails fast', async () => {
      const { provider } = adapter(await closedPortUrl());
      try {
        const first = await provider.charge(charge(randomUUID()));
        assert.equal(first.kind, 'unavailable');
        assert.match(first.kind === 'unavailable' ? first.detail : '', /unreachable/);
        await provider.charge(charge(randomUUID()));
        assert.equal(provider.circuitState(), 'open');
        const fast = await provider.charge(charge(randomUUID()));
        assert.match(fast.kind === 'unavailable' ? fast.detail : '', /circuit is open/);
        assert.equal(await provider.probe(), false);
      } finally {
        await provider.close();
      }
    });
  });
}
