// A real Prometheus (Debian's `prometheus` package) started on a free port with
// deploy/observability's configuration scrapes every service of a distributed run; every
// target is up, the alert rules load, and the dashboards' and rules' metrics are all served.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort, needs } from '@lattice/platform/testing';
import { startDistributed, until } from './support/distributed-platform.ts';
import {
  alertQueries,
  dashboardQueries,
  declaredMetrics,
  isServed,
  metricNames,
  needsPrometheus,
  observabilityDir,
} from './support/observability.ts';

// Away from the defaults and the other e2e files' offsets (10 000, 20 000, 21 000, 22 000).
const PORT_OFFSET = 23_000;

interface Target {
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

test('Prometheus with deploy/observability scrapes every service of a distributed run, all up', {
  skip: needs('postgres') || needs('nats') || needsPrometheus(),
  timeout: 420_000,
}, async () => {
  // Ten processes starting at once on a shared machine: a generous readiness bound.
  const platform = await startDistributed({ portOffset: PORT_OFFSET, readyTimeoutMs: 240_000 });
  after(() => platform.stop());

  // The shipped configuration, moved to this run's ports and a fast scrape interval.
  const dir = mkdtempSync(join(tmpdir(), 'lattice-prometheus-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const shipped = readFileSync(join(observabilityDir, 'prometheus.yml'), 'utf8');
  const config = shipped
    .replace(/127\.0\.0\.1:(\d+)/g, (_m, port) => `127.0.0.1:${Number(port) + PORT_OFFSET}`)
    .replace(/scrape_interval: \S+/, 'scrape_interval: 1s')
    .replace(/scrape_timeout: \S+/, 'scrape_timeout: 1s');
  writeFileSync(join(dir, 'prometheus.yml'), config);
  copyFileSync(join(observabilityDir, 'alerts.yml'), join(dir, 'alerts.yml'));

  const port = await freePort();
  let output = '';
  const prometheus: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus.stdout?.on('data', (chunk) => (output += chunk));
  prometheus.stderr?.on('data', (chunk) => (output += chunk));
  after(async () => {
    if (prometheus.exitCode !== null) return;
    const exited = new Promise((resolve) => prometheus.once('exit', resolve));
    prometheus.kill('SIGTERM');
    await exited;
  });
  const api = `http://127.0.0.1:${port}/api/v1`;

  let targets: Target[] = [];
  try {
    await until(
      'every target scraped and up',
      async () => {
        try {
          const answer = (await (await fetch(`${api}/targets`)).json()) as {
            data: { activeTargets: Target[] };
          };
          targets = answer.data.activeTargets;
          return (
            targets.length === platform.catalog.length && targets.every((t) => t.health === 'up')
          );
        } catch {
          return false; // Prometheus still starting
        }
      },
      60_000,
      500,
    );
  } catch (error) {
    const states = targets.map((t) => `${t.labels.service}: ${t.health} ${t.lastError}`).join('\n');
    throw new Error(
      `${(error as Error).message}\n${states}\n--- prometheus ---\n${output.slice(-3000)}`,
    );
  }
  assert.deepEqual(
    targets.map((t) => t.labels.service).sort(),
    platform.catalog.map((e) => e.name).sort(),
    'one target per service of the catalog',
  );

  const rules = (await (await fetch(`${api}/rules`)).json()) as {
    data: { groups: Array<{ rules: Array<{ name: string; health: string }> }> };
  };
  const loaded = rules.data.groups.flatMap((g) => g.rules);
  assert.equal(loaded.length, alertQueries().length, 'every alert rule loaded');

  const up = (await (
    await fetch(`${api}/query?query=${encodeURIComponent('sum(up{job="lattice"})')}`)
  ).json()) as {
    data: { result: Array<{ value: [number, string] }> };
  };
  assert.equal(Number(up.data.result[0]?.value[1]), platform.catalog.length);

  // What the dashboards and rules read, against what the separate processes really serve.
  const declared = new Map<string, string>();
  for (const url of Object.values(platform.urls))
    for (const [name, type] of declaredMetrics(await (await fetch(`${url}/metrics`)).text()))
      declared.set(name, type);
  const missing = [...dashboardQueries(), ...alertQueries()].flatMap(({ where, expr }) =>
    metricNames(expr)
      .filter((name) => !isServed(name, declared))
      .map((name) => `${name} (${where})`),
  );
  assert.deepEqual(missing, [], 'metrics no service serves');
});
