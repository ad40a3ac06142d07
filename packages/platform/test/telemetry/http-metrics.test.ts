import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Registry } from 'prom-client';
import { createService } from '../../src/create-service.ts';
import { HttpMetrics } from '../../src/http-metrics.ts';
import { notesWithoutDatabase } from '../support.ts';

const series = (text: string, name: string) =>
  text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .sort();

test('RED series: answers by status, cumulative duration buckets, sum and count per route template', async () => {
  const http = new HttpMetrics();
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'svc' });
  http.registerIn(registry);
  http.record('GET', '/api/v1/things/:id', 200, 0.0004);
  http.record('GET', '/api/v1/things/:id', 200, 0.003);
  http.record('GET', '/api/v1/things/:id', 404, 0.02);
  http.record('POST', '/api/v1/things', 201, 12);
  http.record('GET', undefined, 404, 0.001);
  http.record('GET', '/health/ready', 200, 0.001);
  http.record('GET', '/metrics', 200, 0.001);

  const text = await registry.metrics();
  assert.match(text, /# TYPE http_server_requests_total counter/);
  assert.match(text, /# TYPE http_server_request_duration_seconds histogram/);
  assert.deepEqual(series(text, 'http_server_requests_total'), [
    'http_server_requests_total{method="GET",route="/api/v1/things/:id",status="200",service="svc"} 2',
    'http_server_requests_total{method="GET",route="/api/v1/things/:id",status="404",service="svc"} 1',
    'http_server_requests_total{method="GET",route="unmatched",status="404",service="svc"} 1',
    'http_server_requests_total{method="POST",route="/api/v1/things",status="201",service="svc"} 1',
  ]);
  const get = series(text, 'http_server_request_duration_seconds').filter((line) =>
    line.includes('route="/api/v1/things/:id"'),
  );
  const bucket = (le: string) =>
    get.find((line) => line.includes(`le="${le}"`))?.replace(/.* /, '');
  // 0.4 ms and 1 ms land in the first bucket (le is inclusive), 3 ms in le=0.005, 20 ms in 0.025.
  assert.equal(bucket('0.001'), '1');
  assert.equal(bucket('0.0025'), '1');
  assert.equal(bucket('0.005'), '2');
  assert.equal(bucket('0.025'), '3');
  assert.equal(bucket('+Inf'), '3');
  assert.ok(get.some((line) => /_count\{.*\} 3$/.test(line)));
  const sum = get.find((line) => line.includes('_sum{'))?.replace(/.* /, '');
  assert.ok(Math.abs(Number(sum) - 0.0234) < 1e-9, `sum ${sum}`);
  const post = series(text, 'http_server_request_duration_seconds_bucket').filter((line) =>
    line.includes('method="POST"'),
  );
  assert.equal(post.find((line) => line.includes('le="10"'))?.replace(/.* /, ''), '0');
  assert.equal(post.find((line) => line.includes('le="+Inf"'))?.replace(/.* /, ''), '1');
  assert.doesNotMatch(text, /health|route="\/metrics"/);
});

test('a service counts its requests by route template, never by raw path', async () => {
  const notes = await createService(notesWithoutDatabase, { env: { LOG_LEVEL: 'silent' } });
  after(() => notes.close());
  // Whatever each answers (this notes service has no database), it is counted under the template.
  const ids = ['987654321', '876543219', '765432198'];
  for (const id of ids) await notes.app.inject({ url: `/notes/${id}` });
  await notes.app.inject({ url: '/no/such/path' });
  const text = (await notes.app.inject({ url: '/metrics' })).body;
  const requests = series(text, 'http_server_requests_total');
  const notesLines = requests.filter((line) => line.includes('route="/notes/:id"'));
  const total = notesLines.reduce((sum, line) => sum + Number(line.replace(/.* /, '')), 0);
  assert.equal(total, ids.length, requests.join('\n'));
  for (const id of ids) assert.doesNotMatch(text, new RegExp(id));
  assert.ok(requests.some((line) => line.includes('route="unmatched",status="404"')));
});

test('with METRICS_ENABLED=false no RED series are served', async () => {
  const notes = await createService(notesWithoutDatabase, {
    env: { LOG_LEVEL: 'silent', METRICS_ENABLED: 'false' },
  });
  after(() => notes.close());
  await notes.app.inject({ url: '/no/such/path' });
  const text = (await notes.app.inject({ url: '/metrics' })).body;
  assert.doesNotMatch(text, /http_server_requests_total/);
  assert.match(text, /nodejs_heap_size_used_bytes/, 'the runtime metrics are still there');
});
