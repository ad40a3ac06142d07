import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { publishAndSettle } from './scenario.suite.ts';
import { registered } from './support/events.ts';
import { type AnalyticsService, get, tokenFor } from './support/harness.ts';

const DAY = 'from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z';

function assertProblem(
  response: {
    statusCode: number;
    headers: Record<string, unknown>;
    json(): { code?: string; detail?: string };
  },
  status: number,
  code: string,
) {
  assert.equal(response.statusCode, status);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  assert.equal(response.json().code, code);
  assert.ok(response.json().detail, 'a detail says what is wrong');
}

export function accessBehaviours(svc: () => AnalyticsService): void {
  describe('who may read what', () => {
    const tenantA = randomUUID();
    const tenantB = randomUUID();

    test('a tenant admin reads their own tenant', async () => {
      await publishAndSettle(svc(), [
        registered(tenantA, randomUUID(), new Date('2026-06-01T08:00:00Z')),
        registered(tenantB, randomUUID(), new Date('2026-06-01T08:00:00Z')),
        registered(tenantB, randomUUID(), new Date('2026-06-01T09:00:00Z')),
      ]);
      const token = await tokenFor(svc(), tenantA, ['admin']);
      const own = await get(svc(), `/summary?${DAY}`, token);
      assert.equal(own.json().tenantId, tenantA);
      assert.equal(own.json().signups, 1);
      const named = await get(svc(), `/summary?${DAY}&tenantId=${tenantA}`, token);
      assert.equal(named.json().signups, 1, 'naming their own tenant is fine');
    });

    test("a tenant admin asking for another tenant's numbers gets 403", async () => {
      const token = await tokenFor(svc(), tenantA, ['admin']);
      for (const path of [
        `/summary?${DAY}&tenantId=${tenantB}`,
        `/timeseries?metric=signups&interval=hour&${DAY}&tenantId=${tenantB}`,
      ]) {
        assertProblem(await get(svc(), path, token), 403, 'ANALYTICS_TENANT_FORBIDDEN');
      }
    });

    test('a platform admin may read any tenant', async () => {
      const token = await tokenFor(svc(), randomUUID(), ['platform-admin']);
      const other = await get(svc(), `/summary?${DAY}&tenantId=${tenantB}`, token);
      assert.equal(other.statusCode, 200);
      assert.equal(other.json().tenantId, tenantB);
      assert.equal(other.json().signups, 2);
      const series = await get(
        svc(),
        `/timeseries?metric=signups&interval=hour&${DAY}&tenantId=${tenantB}`,
        token,
      );
      assert.deepEqual(
        series.json().points.filter((p: { value: number }) => p.value > 0),
        [
          { t: '2026-06-01T08:00:00.000Z', value: 1 },
          { t: '2026-06-01T09:00:00.000Z', value: 1 },
        ],
      );
    });

    test('only a platform admin may rebuild the read models over HTTP, and numbers stay', async () => {
      const rebuild = async (roles: string[]) =>
        svc().app.inject({
          method: 'POST',
          url: '/api/v1/analytics/rebuild?source=log',
          headers: { authorization: `Bearer ${await tokenFor(svc(), tenantA, roles)}` },
        });
      await publishAndSettle(svc(), [
        registered(tenantB, randomUUID(), new Date('2026-06-01T10:00:00Z')),
      ]);
      const refused = await rebuild(['admin']);
      assert.equal(refused.statusCode, 403);
      const token = await tokenFor(svc(), randomUUID(), ['platform-admin']);
      const before = (await get(svc(), `/summary?${DAY}&tenantId=${tenantB}`, token)).json();
      const done = await rebuild(['platform-admin']);
      assert.equal(done.statusCode, 200, done.body);
      assert.equal(done.json().source, 'log');
      assert.ok(done.json().applied >= 1);
      assert.deepEqual(
        (await get(svc(), `/summary?${DAY}&tenantId=${tenantB}`, token)).json(),
        before,
      );
    });

    test('a member gets 403 and an anonymous caller 401', async () => {
      const member = await tokenFor(svc(), tenantA, ['member']);
      assertProblem(await get(svc(), `/summary?${DAY}`, member), 403, 'ANALYTICS_ADMIN_REQUIRED');
      const anonymous = await get(svc(), `/summary?${DAY}`);
      assert.equal(anonymous.statusCode, 401);
    });
  });
}
