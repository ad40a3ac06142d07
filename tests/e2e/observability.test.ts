// Observability of the whole system in embedded mode: one trace from the gateway through auth
// and an event to users, served as a span tree at /api/v1/ops/traces; every metric the
// dashboards and alert rules read is served by a real scrape; the rules pass promtool.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type EmbeddedPlatform,
  portVariable,
  readServiceCatalog,
  type SpanTreeNode,
  startEmbedded,
} from '@lattice/platform';
import { expectTrace, isDescendant, newTraceparent } from '@lattice/platform/testing';
import {
  alertQueries,
  dashboardQueries,
  declaredMetrics,
  isServed,
  metricNames,
  needsPrometheus,
  observabilityDir,
} from './support/observability.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Away from the defaults and the other e2e files' offsets (10 000, 20 000, 21 000, 23 000).
const PORT_OFFSET = 22_000;
const ADMIN_EMAIL = `ops-${randomBytes(4).toString('hex')}@example.test`;

describe('observability, embedded mode', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lattice-observability-'));
  const catalog = readServiceCatalog(root, {});
  let platform: EmbeddedPlatform;
  let gateway: string;

  before(async () => {
    platform = await startEmbedded(root, {
      ...process.env,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      PLATFORM_ADMIN_EMAILS: ADMIN_EMAIL,
      ...Object.fromEntries(
        catalog.map((e) => [portVariable(e.name), String(e.port + PORT_OFFSET)]),
      ),
    });
    gateway = platform.urls.gateway!;
  });
  after(async () => {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function register(email: string, traceparent?: string) {
    const response = await fetch(`${gateway}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(traceparent ? { traceparent } : {}) },
      body: JSON.stringify({
        email,
        password: 'correct horse battery',
        name: 'Ops',
        tenantName: 'Observability',
      }),
    });
    assert.equal(response.status, 201, await response.clone().text());
    return (await response.json()) as { accessToken: string };
  }

  test('a registration through the gateway is one trace: gateway, auth, outbox relay, bus, users consumer', async () => {
    const { traceId, traceparent } = newTraceparent();
    const admin = await register(ADMIN_EMAIL, traceparent);

    const { matched, spans } = await expectTrace(traceId, [
      { service: 'gateway', kind: 'server', name: /^POST / },
      { service: 'gateway', kind: 'client', name: 'POST' },
      { service: 'auth', kind: 'server', name: 'POST /api/v1/auth/register' },
      { service: 'auth', kind: 'client', name: /^INSERT auth$/ },
      { service: 'auth', kind: 'producer', name: 'send auth.user.registered.v1' },
      { service: 'users', kind: 'consumer', name: 'process auth.user.registered.v1' },
    ]);
    const [gatewayServer, gatewayClient, authServer, insert, publish, consume] = matched;
    assert.equal(gatewayClient!.parentSpanId, gatewayServer!.spanId);
    assert.equal(authServer!.parentSpanId, gatewayClient!.spanId);
    assert.ok(isDescendant(spans, insert!, authServer!));
    assert.ok(isDescendant(spans, publish!, authServer!), 'the relay continues the request');
    assert.equal(consume!.parentSpanId, publish!.spanId);

    // The same trace, as a platform admin sees it at the gateway.
    const auth = { authorization: `Bearer ${admin.accessToken}` };
    const tree = await fetch(`${gateway}/api/v1/ops/traces/${traceId}`, { headers: auth });
    assert.equal(tree.status, 200);
    const body = (await tree.json()) as {
      traceId: string;
      spanCount: number;
      roots: SpanTreeNode[];
    };
    assert.equal(body.traceId, traceId);
    assert.equal(body.roots.length, 1, 'one root: the gateway request');
    assert.equal(body.roots[0]!.service, 'gateway');
    const services = new Set<string>();
    const walk = (node: SpanTreeNode) => {
      services.add(node.service);
      node.children.forEach(walk);
    };
    walk(body.roots[0]!);
    // Other consumers of user.registered (notifications, analytics) join the same trace.
    for (const service of ['auth', 'gateway', 'users']) assert.ok(services.has(service), service);

    const list = await fetch(`${gateway}/api/v1/ops/traces?limit=500`, { headers: auth });
    assert.equal(list.status, 200);
    const listed = (
      (await list.json()) as { traces: Array<{ traceId: string; services: string[] }> }
    ).traces;
    const summary = listed.find((t) => t.traceId === traceId);
    assert.ok(summary, 'the trace is listed');
    assert.ok(summary.services.includes('users'));

    const unknown = await fetch(`${gateway}/api/v1/ops/traces/${'0'.repeat(31)}1`, {
      headers: auth,
    });
    assert.equal(unknown.status, 404);
    assert.match(unknown.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const malformed = await fetch(`${gateway}/api/v1/ops/traces/not-a-trace-id`, { headers: auth });
    assert.equal(malformed.status, 400);
  });

  test('the trace routes are for platform admins only', async () => {
    const member = await register(`member-${randomBytes(4).toString('hex')}@example.test`);
    const anonymous = await fetch(`${gateway}/api/v1/ops/traces`);
    assert.equal(anonymous.status, 401);
    const forbidden = await fetch(`${gateway}/api/v1/ops/traces`, {
      headers: { authorization: `Bearer ${member.accessToken}` },
    });
    assert.equal(forbidden.status, 403);
  });

  test('every metric the dashboards and alert rules read is served by a service', async () => {
    const declared = new Map<string, string>();
    for (const [name, url] of Object.entries(platform.urls)) {
      const response = await fetch(`${url}/metrics`);
      assert.equal(response.status, 200, `${name} /metrics`);
      for (const [metric, type] of declaredMetrics(await response.text()))
        declared.set(metric, type);
    }
    const queries = [...dashboardQueries(), ...alertQueries()];
    assert.ok(queries.length > 40, `${queries.length} queries read`);
    const missing = queries.flatMap(({ where, expr }) =>
      metricNames(expr)
        .filter((name) => !isServed(name, declared))
        .map((name) => `${name} (${where})`),
    );
    assert.deepEqual(missing, [], 'metrics no service serves');
  });

  test('the alert rules and the scrape configuration pass promtool', {
    skip: needsPrometheus(),
  }, () => {
    const rules = execFileSync(
      'promtool',
      ['check', 'rules', join(observabilityDir, 'alerts.yml')],
      {
        encoding: 'utf8',
      },
    );
    assert.match(rules, /SUCCESS: \d+ rules found/);
    const config = execFileSync(
      'promtool',
      ['check', 'config', join(observabilityDir, 'prometheus.yml')],
      { encoding: 'utf8' },
    );
    assert.match(config, /SUCCESS/);
  });
});
