import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { buildTestService, type DatabaseKind, needs } from '../src/testing/index.ts';
import { ledgerService } from './fixtures/ledger/ledger-service.ts';

async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() - started > timeoutMs) return value;
    await delay(20);
  }
}

for (const kind of ['pglite', 'postgres'] as DatabaseKind[]) {
  test(`events recorded with a state change reach the consumer once, and a rollback sends none (${kind})`, {
    skip: kind === 'postgres' && needs('postgres'),
  }, async (t) => {
    const ledger = await buildTestService(t, ledgerService, { db: kind });
    const totals = () => ledger.context.db.db.selectFrom('totals').selectAll().execute();

    for (const amount of [5, 7]) {
      const created = await ledger.app.inject({
        method: 'POST',
        url: '/entries',
        payload: { amount },
      });
      assert.equal(created.statusCode, 201);
    }
    const failed = await ledger.app.inject({
      method: 'POST',
      url: '/entries',
      payload: { amount: 100, fail: true },
    });
    assert.equal(failed.statusCode, 500);

    const rows = await until(totals, (r) => r.length >= 2);
    assert.deepEqual(rows.map((r) => r.amount).sort(), [5, 7]);
    await delay(200);
    assert.equal(
      (await totals()).length,
      2,
      'the rolled-back entry published nothing, and nothing twice',
    );

    const metrics = (await ledger.app.inject({ url: '/metrics' })).body;
    assert.match(metrics, /lattice_outbox_unsent_events\{service="ledger"\} 0/);
    const outbox = await ledger.context.db.db
      .selectFrom('outbox' as never)
      .select(['sent_at' as never])
      .execute();
    assert.equal(outbox.length, 2);
    assert.ok(
      outbox.every((row) => (row as { sent_at: unknown }).sent_at !== null),
      'both marked sent',
    );
  });
}

test('the same event delivered twice is applied once (inbox)', async (t) => {
  const ledger = await buildTestService(t, ledgerService);
  const created = await ledger.app.inject({
    method: 'POST',
    url: '/entries',
    payload: { amount: 3 },
  });
  assert.equal(created.statusCode, 201);
  const totals = () => ledger.context.db.db.selectFrom('totals').selectAll().execute();
  await until(totals, (r) => r.length === 1);
  const [row] = await ledger.context.db.db
    .selectFrom('outbox' as never)
    .select(['event' as never])
    .execute();
  const event = (row as { event: unknown }).event;
  // A broker redelivery or a duplicate publish with a new message id: the same CloudEvent again.
  await ledger.context.bus!.publish([{ ...(event as object) } as never]);
  await delay(300);
  assert.equal((await totals()).length, 1);
});
