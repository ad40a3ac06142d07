import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Counter } from 'prom-client';
import { createService } from '../../src/create-service.ts';
import { createHttpClient } from '../../src/http/resilient-client.ts';
import { buildTestService, needs } from '../../src/testing/index.ts';
import { notesService } from '../fixtures/notes/notes-service.ts';
import { notesWithoutDatabase } from '../support.ts';

const notes = await createService(notesWithoutDatabase, { env: { LOG_LEVEL: 'silent' } });
after(() => notes.close());

describe('service metrics', () => {
  test('a business counter registered on context.metrics is served at /metrics with the service label', async () => {
    const placed = new Counter({
      name: 'notes_business_things_total',
      help: 'Things done, by outcome',
      labelNames: ['outcome'],
      registers: [notes.context.metrics],
    });
    placed.inc({ outcome: 'ok' }, 3);
    const response = await notes.app.inject({ url: '/metrics' });
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /notes_business_things_total\{outcome="ok",service="notes"\} 3/);
  });

  test('a kit HTTP client given the registry reports its circuit: 2 once open', async () => {
    const client = createHttpClient({
      name: 'unreachable',
      // Port 1 on loopback: refused at once, a transient failure that counts for the breaker.
      baseUrl: 'http://127.0.0.1:1',
      retries: 0,
      breaker: { consecutiveFailures: 1, halfOpenAfterMs: 60_000 },
      metrics: notes.context.metrics,
    });
    after(() => client.close());
    const before = (await notes.app.inject({ url: '/metrics' })).body;
    assert.match(
      before,
      /lattice_http_client_circuit_state\{upstream="unreachable",service="notes"\} 0/,
    );
    await assert.rejects(client.get('/anything'));
    const scrape = (await notes.app.inject({ url: '/metrics' })).body;
    assert.match(
      scrape,
      /lattice_http_client_circuit_state\{upstream="unreachable",service="notes"\} 2/,
    );
  });

  test('runtime metrics include event loop utilisation beside the defaults', async () => {
    const scrape = (await notes.app.inject({ url: '/metrics' })).body;
    const utilisation = /nodejs_eventloop_utilization_ratio\{service="notes"\} ([\d.e-]+)/.exec(
      scrape,
    );
    assert.ok(utilisation, 'utilisation served');
    assert.ok(Number(utilisation[1]) >= 0 && Number(utilisation[1]) <= 1);
    for (const name of [
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_gc_duration_seconds',
      'nodejs_active_handles_total',
    ])
      assert.match(scrape, new RegExp(`# TYPE ${name} `), name);
  });

  test('a service on PostgreSQL reports its connection pool', {
    skip: needs('postgres'),
  }, async (t) => {
    const onPostgres = await buildTestService(t, notesService, { db: 'postgres' });
    const created = await onPostgres.app.inject({
      method: 'POST',
      url: '/notes',
      payload: { text: 'pool' },
    });
    assert.equal(created.statusCode, 201);
    const scrape = (await onPostgres.app.inject({ url: '/metrics' })).body;
    const read = (pattern: RegExp) => {
      const match = pattern.exec(scrape);
      assert.ok(match, `${pattern} in the scrape`);
      return Number(match[1]);
    };
    // The relay and LISTEN hold connections of their own: counts vary, their bounds do not.
    const inUse = read(/lattice_db_pool_connections\{state="in_use",service="notes"\} (\d+)/);
    const idle = read(/lattice_db_pool_connections\{state="idle",service="notes"\} (\d+)/);
    const waiting = read(/lattice_db_pool_waiting\{service="notes"\} (\d+)/);
    assert.equal(read(/lattice_db_pool_max\{service="notes"\} (\d+)/), 5);
    assert.ok(inUse + idle >= 1 && inUse + idle <= 5, `${inUse} in use + ${idle} idle`);
    assert.ok(waiting >= 0);
  });
});
