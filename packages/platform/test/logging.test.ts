import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createService } from '../src/create-service.ts';
import { chattyService } from './fixtures/chatty-service.ts';
import { captureLogs } from './support.ts';

const SECRETS = [
  'api-key-value',
  'header-token-value',
  'cookie-value',
  'body-password-value',
  'issued-token-value',
];

type Line = Record<string, unknown>;

function byMessage(lines: Line[], msg: string): Line {
  const line = lines.find((l) => l.msg === msg);
  assert.ok(line, `no log line "${msg}" in ${lines.map((l) => l.msg).join(', ')}`);
  return line;
}

/** What every test below expects of the chatty service's login, whatever the logger. */
function assertLoginRedacted(lines: Line[], text: string): void {
  for (const value of SECRETS) assert.ok(!text.includes(value), `${value} reached the log`);

  const headers = byMessage(lines, 'login headers').headers as Record<string, string>;
  assert.equal(headers.authorization, '[redacted]');
  assert.equal(headers.cookie, '[redacted]');
  assert.equal(headers['x-request-id'], 'login-1', 'harmless headers stay readable');

  assert.deepEqual(byMessage(lines, 'login body').body, {
    email: 'ada@example.com',
    password: '[redacted]',
  });
  assert.deepEqual(byMessage(lines, 'login user').user, {
    email: 'ada@example.com',
    password: '[redacted]',
  });
  const result = byMessage(lines, 'login result');
  assert.equal(result.password, '[redacted]');
  assert.equal(result.token, '[redacted]');

  const config = byMessage(lines, 'configured').config as Record<string, unknown>;
  assert.equal(config.NOTES_API_KEY, '[redacted]', 'a secret config key, logged with the config');
  assert.equal(config.NOTES_GREETING, 'hello', 'other config stays readable');
}

const login = {
  method: 'POST' as const,
  url: '/login',
  headers: {
    authorization: 'Bearer header-token-value',
    cookie: 'session=cookie-value',
    'x-request-id': 'login-1',
  },
  payload: { email: 'ada@example.com', password: 'body-password-value' },
};

describe('logging', () => {
  test('the logger createService builds writes JSON lines to stdout with secrets redacted', async () => {
    const script = fileURLToPath(new URL('./fixtures/log-to-stdout.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      env: { ...process.env, LOG_LEVEL: 'info', NOTES_API_KEY: 'api-key-value' },
      timeout: 20_000,
    });
    const lines = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Line);
    assert.ok(lines.every((l) => l.service === 'chatty' && typeof l.time === 'string'));
    assertLoginRedacted(lines, stdout);

    const boom = lines.filter((l) => l.requestId === 'boom-1');
    assert.deepEqual(
      boom.map((l) => [l.level, l.msg]),
      [
        [50, 'request failed'],
        [40, 'request failed'],
      ],
      'the 500 is logged with its error, then as a failed request',
    );
    assert.match(String((boom[0]!.err as { message: string }).message), /secret internal detail/);
  });

  test("a process-wide logger (the embedded runtime's) redacts each service's secrets too", async () => {
    const logs = captureLogs();
    const service = await createService(chattyService, {
      env: { NOTES_API_KEY: 'api-key-value' },
      logger: logs.logger,
    });
    try {
      await service.app.inject(login);
    } finally {
      await service.close();
    }
    const lines = logs.lines();
    assert.ok(lines.every((l) => l.service === 'chatty'));
    assertLoginRedacted(lines, logs.text());
  });

  test('each request writes one line with its request id, trace id, status and duration', async () => {
    const logs = captureLogs();
    const service = await createService(chattyService, { logger: logs.logger });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    try {
      await service.app.inject({
        url: '/greeting?lang=fr',
        headers: { 'x-request-id': 'greet-1', traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      });
    } finally {
      await service.close();
    }
    const requestLines = logs.lines().filter((l) => l.requestId === 'greet-1');
    assert.equal(requestLines.length, 1);
    const [line] = requestLines;
    assert.equal(line!.msg, 'request completed');
    assert.equal(line!.level, 30);
    assert.equal(line!.traceId, traceId);
    assert.equal(line!.method, 'GET');
    assert.equal(line!.url, '/greeting?lang=fr');
    assert.equal(line!.status, 200);
    assert.equal(typeof line!.ms, 'number');
  });

  test('health probes log only when they fail, and never above the service LOG_LEVEL', async () => {
    for (const level of ['info', 'error']) {
      const logs = captureLogs('trace');
      const service = await createService(chattyService, {
        env: { LOG_LEVEL: level },
        logger: logs.logger,
      });
      let healthy = true;
      service.context.readiness.add('cache', async () => {
        if (!healthy) throw new Error('cache unreachable');
      });
      try {
        const ok = await service.app.inject({ url: '/health/ready' });
        assert.equal(ok.statusCode, 200);
        healthy = false;
        const down = await service.app.inject({ url: '/health/ready' });
        assert.equal(down.statusCode, 503);
        assert.match(down.json().detail, /cache: cache unreachable/);
      } finally {
        await service.close();
      }
      const probes = logs.lines().filter((l) => l.url === '/health/ready');
      const expected = level === 'info' ? [[40, 503]] : [];
      assert.deepEqual(
        probes.map((l) => [l.level, l.status]),
        expected,
        `at LOG_LEVEL=${level}`,
      );
    }
  });

  test('LOG_LEVEL=warn keeps successful requests out of the log but not failures', async () => {
    const logs = captureLogs('trace');
    const service = await createService(chattyService, {
      env: { LOG_LEVEL: 'warn' },
      logger: logs.logger,
    });
    try {
      await service.app.inject({ url: '/greeting', headers: { 'x-request-id': 'quiet-1' } });
      await service.app.inject({ url: '/boom', headers: { 'x-request-id': 'loud-1' } });
    } finally {
      await service.close();
    }
    const lines = logs.lines();
    assert.equal(lines.filter((l) => l.requestId === 'quiet-1').length, 0);
    assert.ok(lines.filter((l) => l.requestId === 'loud-1').length >= 1);
    assert.ok(lines.every((l) => (l.level as number) >= 40));
  });
});
