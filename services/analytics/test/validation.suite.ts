import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { type AnalyticsService, get, tokenFor } from './support/harness.ts';

export function validationBehaviours(svc: () => AnalyticsService): void {
  describe('validation', () => {
    const cases: Array<[string, string, string]> = [
      ['an unknown metric', '/timeseries?metric=bananas&interval=hour', 'VALIDATION_FAILED'],
      ['a missing metric', '/timeseries?interval=hour', 'VALIDATION_FAILED'],
      ['an unknown interval', '/timeseries?metric=signups&interval=week', 'VALIDATION_FAILED'],
      ['a from that is no time', '/summary?from=yesterday', 'VALIDATION_FAILED'],
      ['a lower-case currency', '/timeseries?metric=revenue&currency=eur', 'VALIDATION_FAILED'],
      ['an unknown parameter', '/summary?tenant=x', 'VALIDATION_FAILED'],
      [
        'from after to',
        '/summary?from=2026-02-02T00:00:00Z&to=2026-02-01T00:00:00Z',
        'ANALYTICS_INVALID_RANGE',
      ],
      [
        'an empty range',
        '/timeseries?metric=signups&interval=hour&from=2026-02-01T05:00:00Z&to=2026-02-01T05:00:00Z',
        'ANALYTICS_INVALID_RANGE',
      ],
      [
        'more hours than allowed',
        '/timeseries?metric=signups&interval=hour&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z',
        'ANALYTICS_RANGE_TOO_LONG',
      ],
      [
        'more days than allowed',
        '/timeseries?metric=signups&interval=day&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
        'ANALYTICS_RANGE_TOO_LONG',
      ],
      [
        'a summary over years',
        '/summary?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
        'ANALYTICS_RANGE_TOO_LONG',
      ],
    ];
    for (const [what, path, code] of cases) {
      test(`${what} answers 400 ${code}`, async () => {
        const token = await tokenFor(svc(), randomUUID(), ['admin']);
        const response = await get(svc(), path, token);
        assert.equal(response.statusCode, 400, response.body);
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
        assert.equal(response.json().code, code);
        assert.ok(response.json().detail);
      });
    }

    test('the API is described in /openapi.json', async () => {
      const response = await svc().app.inject({ method: 'GET', url: '/openapi.json' });
      assert.equal(response.statusCode, 200);
      const paths = Object.keys(response.json().paths);
      for (const path of ['summary', 'timeseries', 'rebuild']) {
        assert.ok(paths.includes(`/api/v1/analytics/${path}`), path);
      }
    });

    test('a range is widened to whole intervals and defaults to the last day', async () => {
      const token = await tokenFor(svc(), randomUUID(), ['admin']);
      const hourly = await get(
        svc(),
        '/timeseries?metric=signups&interval=hour&from=2026-02-01T05:20:00Z&to=2026-02-01T07:00:01Z',
        token,
      );
      assert.deepEqual(
        hourly.json().points.map((p: { t: string }) => p.t),
        ['2026-02-01T05:00:00.000Z', '2026-02-01T06:00:00.000Z', '2026-02-01T07:00:00.000Z'],
      );
      const fallback = await get(svc(), '/timeseries?metric=signups', token);
      assert.equal(fallback.statusCode, 200);
      assert.equal(fallback.json().interval, 'hour');
      assert.equal(fallback.json().points.length, 24);
    });
  });
}
