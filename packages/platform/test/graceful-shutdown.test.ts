import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { describe, test } from 'node:test';
import { createService } from '../src/create-service.ts';
import { notesWithoutDatabase } from './support.ts';

interface Answer {
  status: number;
  body: string;
  endedAt: number;
}

/** A GET on its own connection (no keep-alive agent), so nothing is pooled across close(). */
function get(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode!, body, endedAt: performance.now() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('graceful shutdown', () => {
  test('close() lets an in-flight request finish, then refuses connections and runs cleanups last-first', async () => {
    const service = await createService(notesWithoutDatabase, { env: { LOG_LEVEL: 'silent' } });
    const events: string[] = [];
    for (const name of ['consumer', 'publisher', 'cache']) {
      service.context.onClose(async () => {
        events.push(`cleanup ${name}`);
      });
    }
    const base = await service.listen(0);
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);

    // Seen from the server: the client may read its answer a tick after the cleanups ran.
    const arrived = new Promise<void>((resolve) =>
      service.app.server.once('request', (_req, res) => {
        res.once('finish', () => events.push('slow answered'));
        resolve();
      }),
    );
    const slow = get(`${base}/slow?ms=300`);
    await arrived;
    const started = performance.now();
    await service.close();
    events.push('closed');

    const answer = await slow;
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { waited: 300 });
    assert.ok(performance.now() - started >= 250, 'close() waited for the slow request');
    assert.deepEqual(events, [
      'slow answered',
      'cleanup cache',
      'cleanup publisher',
      'cleanup consumer',
      'closed',
    ]);

    await assert.rejects(get(`${base}/greeting`), { code: 'ECONNREFUSED' });
  });

  test('an idle keep-alive connection does not hold close() open', async () => {
    const service = await createService(notesWithoutDatabase, { env: { LOG_LEVEL: 'silent' } });
    const base = await service.listen(0);
    const agent = new Agent({ keepAlive: true });
    try {
      const answer = await new Promise<number>((resolve, reject) => {
        request(`${base}/greeting`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        })
          .on('error', reject)
          .end();
      });
      assert.equal(answer, 200);
      const started = performance.now();
      await service.close();
      // Without closing idle sockets, close() would wait for the keep-alive timeout (72 s).
      assert.ok(performance.now() - started < 1_000);
    } finally {
      agent.destroy();
    }
  });

  test('close() is idempotent: a second call waits for the same shutdown and cleans up once', async () => {
    const service = await createService(notesWithoutDatabase, { env: { LOG_LEVEL: 'silent' } });
    let cleanups = 0;
    service.context.onClose(() => {
      cleanups += 1;
    });
    await service.listen(0);
    const first = service.close();
    const second = service.close();
    assert.equal(first, second);
    await Promise.all([first, second, service.close()]);
    assert.equal(cleanups, 1);
  });

  test('a failing cleanup is logged and does not stop the others', async () => {
    const service = await createService(notesWithoutDatabase, { env: { LOG_LEVEL: 'silent' } });
    const ran: string[] = [];
    service.context.onClose(() => {
      ran.push('first registered');
    });
    service.context.onClose(() => {
      throw new Error('broker already gone');
    });
    await service.close();
    assert.deepEqual(ran, ['first registered']);
  });
});
