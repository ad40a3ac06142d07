import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  createService,
  type EmbeddedPlatform,
  PGliteHost,
  portVariable,
  readServiceCatalog,
  startEmbedded,
} from '@lattice/platform';
import { notesService } from '../../packages/platform/test/fixtures/notes/notes-service.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const PORT_OFFSET = 20_000;

interface OpenApi {
  paths: Record<string, Record<string, { requestBody?: unknown }>>;
}

describe('embedded platform (npm start)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lattice-e2e-'));
  const catalog = readServiceCatalog(root, {});
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ...Object.fromEntries(catalog.map((e) => [portVariable(e.name), String(e.port + PORT_OFFSET)])),
  };
  let platform: EmbeddedPlatform;
  let gateway: string;

  before(async () => {
    platform = await startEmbedded(root, env);
    gateway = platform.urls.gateway!;
  });
  after(async () => {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('every service of the repository is up and the gateway is ready', async () => {
    assert.deepEqual(
      platform.services.map((s) => s.name).sort(),
      catalog.map((e) => e.name).sort(),
    );
    const response = await fetch(`${gateway}/health/ready`);
    assert.equal(response.status, 200);
  });

  test('bad input to any service answers 4xx problem+json through the gateway, never 5xx', async (t) => {
    const cases = [
      { name: 'malformed JSON', body: '{"oops', type: 'application/json' },
      {
        name: 'wrong types',
        body: JSON.stringify({ email: 42, title: false, items: 'x', password: [] }),
        type: 'application/json',
      },
      {
        name: 'unknown fields',
        body: JSON.stringify({ surely_unknown_field: true }),
        type: 'application/json',
      },
      {
        name: 'oversized body',
        body: JSON.stringify({ pad: 'x'.repeat(1_100_000) }),
        type: 'application/json',
      },
      { name: 'wrong content type', body: 'plain words', type: 'text/x-unknown' },
    ];
    let checked = 0;
    for (const service of platform.services) {
      const spec = (await (
        await fetch(`${platform.urls[service.name]}/openapi.json`)
      ).json()) as OpenApi;
      for (const [path, methods] of Object.entries(spec.paths)) {
        if (!path.startsWith('/api/v1/')) continue;
        for (const [method, operation] of Object.entries(methods)) {
          if (!operation.requestBody) continue;
          const url = `${gateway}${path.replace(/\{[^}]+\}/g, '00000000-0000-4000-8000-000000000000')}`;
          for (const bad of cases) {
            const response = await fetch(url, {
              method: method.toUpperCase(),
              body: bad.body,
              headers: { 'content-type': bad.type },
            });
            const label = `${method.toUpperCase()} ${path} with ${bad.name}`;
            assert.ok(
              response.status >= 400 && response.status < 500,
              `${label} answered ${response.status}`,
            );
            assert.match(
              response.headers.get('content-type') ?? '',
              /^application\/problem\+json/,
              label,
            );
            await response.arrayBuffer();
            checked++;
          }
        }
      }
      const unknown = await fetch(`${platform.urls[service.name]}/surely/not/a/route`);
      assert.equal(unknown.status, 404);
      assert.match(unknown.headers.get('content-type') ?? '', /^application\/problem\+json/);
      await unknown.arrayBuffer();
    }
    const unknownService = await fetch(`${gateway}/api/v1/surely-not-a-service/x`);
    assert.equal(unknownService.status, 404);
    await unknownService.arrayBuffer();
    t.diagnostic(
      `checked ${checked} bad requests with a body against ${platform.services.length} services`,
    );
  });
});

test('embedded data survives a restart of the database', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lattice-restart-'));
  try {
    const firstHost = await PGliteHost.open({ dataDir });
    const first = await createService(notesService, {
      env: { LOG_LEVEL: 'silent' },
      pglite: firstHost,
    });
    const created = await first.app.inject({
      method: 'POST',
      url: '/notes',
      payload: { text: 'kept' },
    });
    assert.equal(created.statusCode, 201);
    await first.close();
    await firstHost.close();

    const secondHost = await PGliteHost.open({ dataDir });
    const second = await createService(notesService, {
      env: { LOG_LEVEL: 'silent' },
      pglite: secondHost,
    });
    const read = await second.app.inject({ url: `/notes/${created.json().id}` });
    assert.equal(read.statusCode, 200);
    assert.equal(read.json().text, 'kept');
    await second.close();
    await secondHost.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
