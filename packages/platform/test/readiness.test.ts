import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { createService } from '../src/create-service.ts';
import { buildTestService, needs, testPostgresUrl } from '../src/testing/index.ts';
import { notesService } from './fixtures/notes/notes-service.ts';
import { notesWithoutDatabase } from './support.ts';

function assertReady(response: LightMyRequestResponse): void {
  assert.equal(response.statusCode, 200, response.body);
  const body = response.json();
  assert.equal(body.status, 'ready');
  assert.equal(body.checks.database.status, 'up');
  assert.equal(typeof body.checks.database.durationMs, 'number');
}

function assertDatabaseDown(response: LightMyRequestResponse): void {
  assert.equal(response.statusCode, 503, response.body);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  const body = response.json();
  assert.equal(body.code, 'UNAVAILABLE');
  assert.match(body.detail, /^Not ready: database: /);
  assert.equal(body.checks.database.status, 'down');
  assert.equal(typeof body.checks.database.error, 'string');
}

/** Runs `statements` on the test server's maintenance database, as the superuser. */
async function admin(statements: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: testPostgresUrl() });
  await client.connect();
  try {
    await statements(client);
  } finally {
    await client.end();
  }
}

async function readyWithin(
  inject: () => Promise<LightMyRequestResponse>,
  ms: number,
): Promise<LightMyRequestResponse> {
  const deadline = Date.now() + ms;
  for (;;) {
    const response = await inject();
    if (response.statusCode === 200 || Date.now() > deadline) return response;
    await sleep(50);
  }
}

describe('readiness', () => {
  test('on PGlite: ready with the database check up, 503 naming database once it closes', async (t) => {
    const notes = await buildTestService(t, notesService, { db: 'pglite' });
    const ready = () => notes.app.inject({ url: '/health/ready' });
    assertReady(await ready());

    await notes.testDatabase!.host!.close();
    assertDatabaseDown(await ready());
    const live = await notes.app.inject({ url: '/health/live' });
    assert.equal(live.statusCode, 200, 'liveness never depends on the database');
  });

  test('on PostgreSQL: 503 naming database while it refuses connections, ready again after', {
    skip: needs('postgres'),
  }, async (t) => {
    const notes = await buildTestService(t, notesService, { db: 'postgres' });
    const name = notes.testDatabase!.name!;
    const ready = () => notes.app.inject({ url: '/health/ready' });
    assertReady(await ready());

    await admin(async (client) => {
      await client.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
      await client.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
        [name],
      );
    });
    try {
      assertDatabaseDown(await ready());
      assert.equal((await notes.app.inject({ url: '/health/live' })).statusCode, 200);
    } finally {
      await admin((client) => client.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`));
    }
    // The pool replaces the connections it lost; no restart needed.
    assertReady(await readyWithin(ready, 3_000));
  });

  test('in distributed mode an unreachable PostgreSQL stops the start', async () => {
    await assert.rejects(
      createService(notesService, {
        env: {
          LOG_LEVEL: 'silent',
          LATTICE_MODE: 'distributed',
          POSTGRES_URL: 'postgres://postgres@127.0.0.1:1/postgres',
        },
      }),
      (error: Error & { code?: string }) => {
        assert.match(`${error.code} ${error.message}`, /ECONNREFUSED/);
        return true;
      },
    );
  });

  test('a service without a database is ready with no checks', async () => {
    const service = await createService(notesWithoutDatabase, { env: { LOG_LEVEL: 'silent' } });
    try {
      const response = await service.app.inject({ url: '/health/ready' });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { status: 'ready', checks: {} });
    } finally {
      await service.close();
    }
  });

  test('while draining, /health/ready answers 503 and other routes still serve', async () => {
    const service = await createService(notesWithoutDatabase, {
      env: { LOG_LEVEL: 'silent', SHUTDOWN_DRAIN_DELAY_MS: '400' },
    });
    const base = await service.listen(0);
    assert.equal((await fetch(`${base}/health/ready`)).status, 200);

    const closing = service.close();
    const ready = await fetch(`${base}/health/ready`);
    assert.equal(ready.status, 503);
    assert.match(String(ready.headers.get('content-type')), /^application\/problem\+json/);
    const body = (await ready.json()) as { code: string; detail: string };
    assert.equal(body.code, 'SHUTTING_DOWN');
    // The load balancer has not seen the 503 yet: traffic it still sends is served.
    const greeting = await fetch(`${base}/greeting`);
    assert.equal(greeting.status, 200);
    assert.deepEqual(await greeting.json(), { greeting: 'hello' });

    await closing;
    await assert.rejects(fetch(`${base}/health/ready`), (error: Error) => {
      assert.match(String((error.cause as { code?: string })?.code), /ECONNREFUSED/);
      return true;
    });
  });
});
