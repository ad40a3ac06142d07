import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createService, EmbeddedBus, type ServiceInstance } from '@lattice/platform';
import {
  createTestDatabase,
  infrastructure,
  needs,
  type TestDatabase,
} from '@lattice/platform/testing';
import { service } from '../src/app.ts';
import { newUser, serveJwks } from './support/harness.ts';

const redisUrl = infrastructure.find((i) => i.name === 'redis')!.url;

/**
 * Two instances of the service on one PostgreSQL database and one Redis, as in distributed
 * mode: a write acknowledged by one instance is never followed by a stale read on the other.
 */
describe('the todo cache across two instances sharing Redis', {
  skip: needs('postgres') || needs('redis'),
}, () => {
  let database: TestDatabase;
  let bus: EmbeddedBus;
  let jwks: Awaited<ReturnType<typeof serveJwks>>;
  const instances: ServiceInstance[] = [];

  before(async () => {
    jwks = await serveJwks();
    database = await createTestDatabase('todos', 'postgres');
    bus = new EmbeddedBus();
    const env = {
      LATTICE_MODE: 'distributed',
      REDIS_URL: redisUrl,
      AUTH_JWKS_URL: jwks.jwksUrl,
      LOG_LEVEL: 'silent',
    };
    for (let i = 0; i < 2; i++)
      instances.push(await createService(service, { env, database: database.database, bus }));
  });
  after(async () => {
    for (const instance of instances) await instance.close();
    await bus?.close();
    await database?.cleanup();
    await jwks?.close();
  });

  test('a write on one instance is seen at once by the other, whose cache held the old todo', async () => {
    const [a, b] = instances as [ServiceInstance, ServiceInstance];
    const user = await newUser();
    const headers = { authorization: `Bearer ${user.token}` };
    const created = await a.app.inject({
      method: 'POST',
      url: '/api/v1/todos',
      headers,
      payload: { title: 'v0' },
    });
    assert.equal(created.statusCode, 201);
    const id = created.json().id as string;

    for (let round = 1; round <= 20; round++) {
      // B reads twice, so the todo is in both of its tiers before A writes.
      for (let read = 0; read < 2; read++) {
        const cached = await b.app.inject({ url: `/api/v1/todos/${id}`, headers });
        assert.equal(cached.json().title, `v${round - 1}`);
      }
      const writer = round % 2 === 0 ? b : a;
      const reader = writer === a ? b : a;
      const patched = await writer.app.inject({
        method: 'PATCH',
        url: `/api/v1/todos/${id}`,
        headers,
        payload: { title: `v${round}` },
      });
      assert.equal(patched.statusCode, 200);
      const fresh = await reader.app.inject({ url: `/api/v1/todos/${id}`, headers });
      assert.equal(
        fresh.json().title,
        `v${round}`,
        `round ${round}: the other instance served a stale todo`,
      );
    }

    const deleted = await a.app.inject({ method: 'DELETE', url: `/api/v1/todos/${id}`, headers });
    assert.equal(deleted.statusCode, 204);
    const gone = await b.app.inject({ url: `/api/v1/todos/${id}`, headers });
    assert.equal(gone.statusCode, 404);

    const metrics = (await b.app.inject({ url: '/metrics' })).body;
    assert.match(metrics, /cache_hits_total\{tier="l1",service="todos"\} [1-9]/);
    assert.match(metrics, /cache_misses_total\{tier="l2",service="todos"\} [1-9]/);
  });
});
