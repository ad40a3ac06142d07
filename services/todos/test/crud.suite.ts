import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { createSigningKey } from '@lattice/platform/testing';
import { accessToken, addTodo, call, newUser, type TodosService } from './support/harness.ts';

export function crudBehaviours(svc: () => TodosService): void {
  describe('create, read and change', () => {
    test('POST /todos answers 201 with Location, a strong ETag and the todo; GET answers the same', async () => {
      const user = await newUser();
      const created = await call(svc(), 'POST', '', {
        token: user.token,
        payload: {
          title: '  Write docs ',
          description: 'the README',
          dueAt: '2030-01-31T17:00:00+01:00',
        },
      });
      assert.equal(created.statusCode, 201, created.body);
      const todo = created.json();
      assert.match(todo.id, /^[0-9a-f-]{36}$/);
      assert.equal(created.headers.location, `/api/v1/todos/${todo.id}`);
      assert.equal(created.headers.etag, '"1"');
      assert.deepEqual(
        { ...todo, id: undefined, createdAt: undefined, updatedAt: undefined },
        {
          id: undefined,
          title: 'Write docs',
          description: 'the README',
          done: false,
          dueAt: '2030-01-31T16:00:00.000Z',
          completedAt: null,
          version: 1,
          createdAt: undefined,
          updatedAt: undefined,
        },
      );

      const read = await call(svc(), 'GET', `/${todo.id}`, { token: user.token });
      assert.equal(read.statusCode, 200);
      assert.equal(read.headers.etag, '"1"');
      assert.deepEqual(read.json(), todo);
    });

    test('every route answers 401 without a token, or with one signed by another key', async () => {
      const user = await newUser();
      const forged = await accessToken(user, {}, await createSigningKey());
      const id = randomUUID();
      const routes = [
        ['GET', ''],
        ['POST', ''],
        ['GET', `/${id}`],
        ['PATCH', `/${id}`],
        ['DELETE', `/${id}`],
        ['POST', `/${id}/restore`],
        ['GET', `/${id}/history`],
      ] as const;
      for (const [method, path] of routes) {
        for (const token of [undefined, forged]) {
          const response = await call(svc(), method, path, {
            ...(token ? { token } : {}),
            ...(method === 'POST' && path === '' ? { payload: { title: 'x' } } : {}),
            ...(method === 'PATCH' ? { payload: { title: 'x' } } : {}),
          });
          assert.equal(response.statusCode, 401, `${method} ${path} ${token ? 'forged' : 'none'}`);
          assert.equal(response.json().code, 'UNAUTHORIZED');
        }
      }
    });

    test("another user's or another tenant's todo answers 404 on every route, and stays as it was", async () => {
      const owner = await newUser();
      const colleague = await newUser({ tenantId: owner.tenantId });
      // Same user id in another tenant: ownership is (tenant, user), never the user id alone.
      const twin = await newUser({ userId: owner.userId });
      const todo = await addTodo(svc(), owner, { title: 'Mine' });
      for (const stranger of [colleague, twin]) {
        const attempts = [
          ['GET', `/${todo.id}`, undefined],
          ['PATCH', `/${todo.id}`, { done: true }],
          ['DELETE', `/${todo.id}`, undefined],
          ['POST', `/${todo.id}/restore`, undefined],
          ['GET', `/${todo.id}/history`, undefined],
        ] as const;
        for (const [method, path, payload] of attempts) {
          const response = await call(svc(), method, path, {
            token: stranger.token,
            ...(payload ? { payload } : {}),
          });
          assert.equal(response.statusCode, 404, `${method} ${path}`);
          assert.equal(response.json().code, 'TODOS_NOT_FOUND');
        }
        const list = await call(svc(), 'GET', '', { token: stranger.token });
        assert.deepEqual(list.json().items, []);
      }
      const mine = await call(svc(), 'GET', `/${todo.id}`, { token: owner.token });
      assert.equal(mine.json().version, 1);
      assert.equal(mine.json().done, false);
    });

    test('PATCH changes only the fields sent and bumps version and ETag; an unchanged PATCH keeps them', async () => {
      const user = await newUser();
      const todo = await addTodo(svc(), user, {
        title: 'Draft',
        description: 'notes',
        dueAt: '2030-01-01T00:00:00Z',
      });
      const patched = await call(svc(), 'PATCH', `/${todo.id}`, {
        token: user.token,
        payload: { title: 'Final', dueAt: null },
      });
      assert.equal(patched.statusCode, 200, patched.body);
      assert.equal(patched.headers.etag, '"2"');
      const body = patched.json();
      assert.equal(body.title, 'Final');
      assert.equal(body.dueAt, null);
      assert.equal(body.description, 'notes', 'fields not sent are kept');
      assert.equal(body.version, 2);

      for (const payload of [{}, { title: 'Final', description: 'notes' }]) {
        const same = await call(svc(), 'PATCH', `/${todo.id}`, { token: user.token, payload });
        assert.equal(same.statusCode, 200);
        assert.equal(same.headers.etag, '"2"', JSON.stringify(payload));
        assert.equal(same.json().updatedAt, body.updatedAt);
      }

      const done = await call(svc(), 'PATCH', `/${todo.id}`, {
        token: user.token,
        payload: { done: true, description: null },
      });
      assert.equal(done.json().done, true);
      assert.equal(done.json().description, null);
      assert.ok(done.json().completedAt, 'completedAt is set when done');
      const reopened = await call(svc(), 'PATCH', `/${todo.id}`, {
        token: user.token,
        payload: { done: false },
      });
      assert.equal(reopened.json().completedAt, null);
      assert.equal(reopened.json().version, 4);
    });

    test('PATCH with a stale If-Match answers 412 and changes nothing; a current one, * or none succeeds', async () => {
      const user = await newUser();
      const todo = await addTodo(svc(), user);
      const first = await call(svc(), 'PATCH', `/${todo.id}`, {
        token: user.token,
        headers: { 'if-match': '"1"' },
        payload: { title: 'First writer' },
      });
      assert.equal(first.statusCode, 200);
      assert.equal(first.headers.etag, '"2"');

      // The second writer read version 1 too: its change would overwrite the first one's.
      for (const stale of ['"1"', 'W/"2"', '"7", "1"']) {
        const response = await call(svc(), 'PATCH', `/${todo.id}`, {
          token: user.token,
          headers: { 'if-match': stale },
          payload: { title: 'Second writer' },
        });
        assert.equal(response.statusCode, 412, stale);
        assert.equal(response.json().code, 'TODOS_PRECONDITION_FAILED');
        assert.equal(response.headers.etag, '"2"', 'the current ETag, to fetch again');
      }
      const after = await call(svc(), 'GET', `/${todo.id}`, { token: user.token });
      assert.equal(after.json().title, 'First writer');

      for (const [header, expectedEtag] of [
        ['"9", "2"', '"3"'],
        ['*', '"4"'],
        [undefined, '"5"'],
      ] as const) {
        const response = await call(svc(), 'PATCH', `/${todo.id}`, {
          token: user.token,
          ...(header ? { headers: { 'if-match': header } } : {}),
          payload: { title: `Writer ${expectedEtag}` },
        });
        assert.equal(response.statusCode, 200, String(header));
        assert.equal(response.headers.etag, expectedEtag);
      }
    });

    test('DELETE with a stale If-Match answers 412 and the todo stays', async () => {
      const user = await newUser();
      const todo = await addTodo(svc(), user);
      await call(svc(), 'PATCH', `/${todo.id}`, { token: user.token, payload: { done: true } });
      const stale = await call(svc(), 'DELETE', `/${todo.id}`, {
        token: user.token,
        headers: { 'if-match': '"1"' },
      });
      assert.equal(stale.statusCode, 412);
      assert.equal(
        (await call(svc(), 'GET', `/${todo.id}`, { token: user.token })).statusCode,
        200,
      );
      const current = await call(svc(), 'DELETE', `/${todo.id}`, {
        token: user.token,
        headers: { 'if-match': '"2"' },
      });
      assert.equal(current.statusCode, 204);
    });

    test('GET with a matching If-None-Match answers 304 without a body', async () => {
      const user = await newUser();
      const todo = await addTodo(svc(), user);
      for (const header of ['"1"', 'W/"1"', '"5", "1"', '*']) {
        const response = await call(svc(), 'GET', `/${todo.id}`, {
          token: user.token,
          headers: { 'if-none-match': header },
        });
        assert.equal(response.statusCode, 304, header);
        assert.equal(response.body, '');
        assert.equal(response.headers.etag, '"1"');
      }
      const changed = await call(svc(), 'GET', `/${todo.id}`, {
        token: user.token,
        headers: { 'if-none-match': '"0"' },
      });
      assert.equal(changed.statusCode, 200);
    });

    test('a read after a write never answers the cached old todo', async () => {
      const user = await newUser();
      const todo = await addTodo(svc(), user, { title: 'Before' });
      const read = () => call(svc(), 'GET', `/${todo.id}`, { token: user.token });
      assert.equal((await read()).json().title, 'Before', 'now cached');

      await call(svc(), 'PATCH', `/${todo.id}`, { token: user.token, payload: { title: 'After' } });
      assert.equal((await read()).json().title, 'After');
      await call(svc(), 'DELETE', `/${todo.id}`, { token: user.token });
      assert.equal((await read()).statusCode, 404);
      await call(svc(), 'POST', `/${todo.id}/restore`, { token: user.token });
      const restored = await read();
      assert.equal(restored.statusCode, 200);
      assert.equal(restored.json().version, 4);
      // Upper-case ids name the same todo: the cache key must not tell them apart.
      await call(svc(), 'PATCH', `/${todo.id.toUpperCase()}`, {
        token: user.token,
        payload: { done: true },
      });
      assert.equal((await read()).json().done, true);
      const upper = await call(svc(), 'GET', `/${todo.id.toUpperCase()}`, { token: user.token });
      assert.equal(upper.json().done, true);
    });

    test('every bad field answers 400 problem+json naming it, and nothing is written', async () => {
      const user = await newUser();
      const todo = await addTodo(svc(), user);
      const id = todo.id;
      const long = (n: number) => 'x'.repeat(n);
      const cases: Array<[string, string, object | undefined, Record<string, string>, string]> = [
        ['POST', '', {}, {}, 'body.title'],
        ['POST', '', { title: '' }, {}, 'body.title'],
        ['POST', '', { title: '   ' }, {}, 'body.title'],
        ['POST', '', { title: long(201) }, {}, 'body.title'],
        ['POST', '', { title: 42 }, {}, 'body.title'],
        ['POST', '', { title: 'ok', description: long(5001) }, {}, 'body.description'],
        ['POST', '', { title: 'ok', description: 7 }, {}, 'body.description'],
        ['POST', '', { title: 'ok', dueAt: 'tomorrow' }, {}, 'body.dueAt'],
        ['POST', '', { title: 'ok', dueAt: '2030-02-30T10:00:00Z' }, {}, 'body.dueAt'],
        ['POST', '', { title: 'ok', dueAt: '2030-01-01' }, {}, 'body.dueAt'],
        ['POST', '', { title: 'ok', done: true }, {}, 'body.done'],
        [
          'POST',
          '',
          { title: 'ok' },
          { 'idempotency-key': 'has space' },
          'headers.idempotency-key',
        ],
        ['POST', '', { title: 'ok' }, { 'idempotency-key': long(256) }, 'headers.idempotency-key'],
        ['GET', '?limit=0', undefined, {}, 'querystring.limit'],
        ['GET', '?limit=101', undefined, {}, 'querystring.limit'],
        ['GET', '?limit=100000', undefined, {}, 'querystring.limit'],
        ['GET', '?limit=ten', undefined, {}, 'querystring.limit'],
        ['GET', '?status=all', undefined, {}, 'querystring.status'],
        ['GET', '?q=', undefined, {}, 'querystring.q'],
        ['GET', '?cursor=bm90LWEtY3Vyc29y', undefined, {}, 'querystring.cursor'],
        ['GET', '/not-a-uuid', undefined, {}, 'params.id'],
        ['GET', `/${id}`, undefined, { 'if-none-match': '1' }, 'headers.if-none-match'],
        ['PATCH', `/${id}`, { done: 'yes' }, {}, 'body.done'],
        ['PATCH', `/${id}`, { title: null }, {}, 'body.title'],
        ['PATCH', `/${id}`, { title: ' ' }, {}, 'body.title'],
        ['PATCH', `/${id}`, { dueAt: 'soon' }, {}, 'body.dueAt'],
        ['PATCH', `/${id}`, { owner: 'me' }, {}, 'body.owner'],
        ['PATCH', `/${id}`, { title: 'ok' }, { 'if-match': '2' }, 'headers.if-match'],
        ['PATCH', '/123', { title: 'ok' }, {}, 'params.id'],
        ['DELETE', `/${id}`, undefined, { 'if-match': 'W/' }, 'headers.if-match'],
        ['POST', '/nope/restore', undefined, {}, 'params.id'],
        ['GET', '/nope/history', undefined, {}, 'params.id'],
      ];
      for (const [method, path, payload, headers, field] of cases) {
        const label = `${method} ${path} ${JSON.stringify(payload ?? headers)}`;
        const response = await call(svc(), method as 'GET', path, {
          token: user.token,
          headers,
          ...(payload ? { payload } : {}),
        });
        assert.equal(response.statusCode, 400, `${label}: ${response.body}`);
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
        const problem = response.json();
        assert.deepEqual(
          problem.errors.map((e: { field: string }) => e.field),
          [field],
          label,
        );
        assert.ok(problem.detail.includes(field), label);
      }
      const list = await call(svc(), 'GET', '', { token: user.token });
      assert.deepEqual(
        list.json().items.map((t: { id: string; version: number }) => [t.id, t.version]),
        [[id, 1]],
        'nothing was created or changed',
      );
    });
  });
}
