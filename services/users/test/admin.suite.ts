import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  addTenantAdmin,
  addUser,
  call,
  database,
  type TestUser,
  type UsersService,
} from './support/harness.ts';

interface Page {
  items: Array<{ id: string; tenantId: string; createdAt: string }>;
  nextCursor: string | null;
}

/** Follows nextCursor from `first` (or from the start) to the last page. */
async function listAll(svc: UsersService, admin: TestUser, limit: number, first?: Page) {
  const pages: Page[] = [];
  let cursor: string | null = null;
  if (first) {
    pages.push(first);
    cursor = first.nextCursor;
    if (!cursor) return pages;
  }
  do {
    const query: string = `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    const response = await call(svc, 'GET', query, { token: admin.token });
    assert.equal(response.statusCode, 200, response.body);
    const page: Page = response.json();
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor && pages.length < 50);
  return pages;
}

export function adminBehaviours(svc: () => UsersService): void {
  describe('tenant admin routes', () => {
    test('a member gets 403 on every admin route', async () => {
      const admin = await addTenantAdmin(svc());
      const member = await addUser(svc(), { tenantId: admin.tenantId });
      for (const [method, path] of [
        ['GET', ''],
        ['GET', `/${admin.userId}`],
        ['DELETE', `/${admin.userId}`],
      ] as const) {
        const response = await call(svc(), method, path, { token: member.token });
        assert.equal(response.statusCode, 403, `${method} ${path}`);
        assert.equal(response.json().code, 'FORBIDDEN');
      }
      assert.equal(
        (await call(svc(), 'GET', `/${admin.userId}`, { token: admin.token })).statusCode,
        200,
      );
    });

    test('GET /users lists the tenant newest first; GET /users/:id answers one of them', async () => {
      const admin = await addUser(svc(), { roles: ['admin'], time: '2025-01-01T00:00:00.000Z' });
      const member = await addUser(svc(), {
        tenantId: admin.tenantId,
        name: 'Member',
        time: '2025-01-02T00:00:00.000Z',
      });
      const response = await call(svc(), 'GET', '', { token: admin.token });
      assert.equal(response.statusCode, 200);
      const page: Page = response.json();
      assert.deepEqual(
        page.items.map((u) => u.id),
        [member.userId, admin.userId],
      );
      assert.equal(page.nextCursor, null);

      const one = await call(svc(), 'GET', `/${member.userId}`, { token: admin.token });
      assert.equal(one.statusCode, 200);
      assert.deepEqual(one.json(), page.items[0]);
      assert.equal(one.json().name, 'Member');
    });

    test('pages are stable: every user exactly once, in order, even with equal timestamps and inserts between pages', async () => {
      const admin = await addUser(svc(), { roles: ['admin'], time: '2025-02-01T00:00:00.000Z' });
      const tied = '2025-02-02T00:00:00.000Z';
      for (let i = 0; i < 6; i++) await addUser(svc(), { tenantId: admin.tenantId, time: tied });
      for (let i = 0; i < 4; i++)
        await addUser(svc(), { tenantId: admin.tenantId, time: `2025-02-0${3 + i}T00:00:00.000Z` });

      const first: Page = (await call(svc(), 'GET', '?limit=4', { token: admin.token })).json();
      // A newcomer arriving mid-listing sorts before page one: it must not shift later pages.
      await addUser(svc(), { tenantId: admin.tenantId });
      const pages = await listAll(svc(), admin, 4, first);

      const ids = pages.flatMap((p) => p.items.map((u) => u.id));
      assert.equal(ids.length, 11, 'the 11 users present when listing began');
      assert.equal(new Set(ids).size, ids.length, 'no duplicates');
      assert.deepEqual(
        pages.map((p) => p.items.length),
        [4, 4, 3],
      );
      assert.equal(pages.at(-1)?.nextCursor, null);
      const order = pages.flatMap((p) => p.items);
      for (let i = 1; i < order.length; i++) {
        const [a, b] = [order[i - 1]!, order[i]!];
        assert.ok(
          a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id),
          'newest first, id descending within a timestamp',
        );
      }
      const fresh = await listAll(svc(), admin, 5);
      assert.equal(fresh.flatMap((p) => p.items).length, 12, 'a fresh listing sees the newcomer');
    });

    test('limit defaults to 20 and is bounded to 1..100; a malformed cursor answers 400', async () => {
      const admin = await addTenantAdmin(svc());
      for (let i = 0; i < 21; i++) await addUser(svc(), { tenantId: admin.tenantId });
      const page: Page = (await call(svc(), 'GET', '', { token: admin.token })).json();
      assert.equal(page.items.length, 20);
      assert.ok(page.nextCursor);

      for (const limit of ['0', '101', 'ten']) {
        const response = await call(svc(), 'GET', `?limit=${limit}`, { token: admin.token });
        assert.equal(response.statusCode, 400, limit);
        assert.equal(response.json().errors[0].field, 'querystring.limit');
      }
      const forged = Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url');
      for (const cursor of ['not-a-cursor', forged, page.nextCursor.slice(0, -4), '']) {
        const response = await call(svc(), 'GET', `?cursor=${cursor}`, { token: admin.token });
        assert.equal(response.statusCode, 400, `cursor ${cursor}`);
        assert.equal(response.json().code, 'USERS_INVALID_CURSOR');
      }
    });

    test('GET /users/:id answers 404 for an unknown id and 400 for a malformed one', async () => {
      const admin = await addTenantAdmin(svc());
      const unknown = await call(svc(), 'GET', `/${randomUUID()}`, { token: admin.token });
      assert.equal(unknown.statusCode, 404);
      assert.equal(unknown.json().code, 'USERS_NOT_FOUND');
      const malformed = await call(svc(), 'GET', '/42', { token: admin.token });
      assert.equal(malformed.statusCode, 400);
      assert.equal(malformed.json().errors[0].field, 'params.id');
    });

    test("tenant isolation: an admin never sees nor deletes another tenant's users", async () => {
      const adminA = await addTenantAdmin(svc());
      const userA = await addUser(svc(), { tenantId: adminA.tenantId });
      const adminB = await addTenantAdmin(svc());

      const listB: Page = (await call(svc(), 'GET', '?limit=100', { token: adminB.token })).json();
      assert.deepEqual(
        listB.items.map((u) => u.id),
        [adminB.userId],
      );
      for (const method of ['GET', 'DELETE'] as const) {
        const response = await call(svc(), method, `/${userA.userId}`, { token: adminB.token });
        assert.equal(response.statusCode, 404, `${method}: not 403, so ids do not leak`);
        assert.equal(response.json().code, 'USERS_NOT_FOUND');
      }
      const still = await call(svc(), 'GET', `/${userA.userId}`, { token: adminA.token });
      assert.equal(still.statusCode, 200);
      assert.equal((await call(svc(), 'GET', '/me', { token: userA.token })).statusCode, 200);
    });

    test('DELETE /users/:id answers 204; the user vanishes from list, get and me', async () => {
      const admin = await addTenantAdmin(svc());
      const doomed = await addUser(svc(), { tenantId: admin.tenantId });
      const response = await call(svc(), 'DELETE', `/${doomed.userId}`, { token: admin.token });
      assert.equal(response.statusCode, 204);
      assert.equal(response.body, '');

      const get = await call(svc(), 'GET', `/${doomed.userId}`, { token: admin.token });
      assert.equal(get.statusCode, 404);
      const list: Page = (await call(svc(), 'GET', '', { token: admin.token })).json();
      assert.deepEqual(
        list.items.map((u) => u.id),
        [admin.userId],
      );
      // Their token still verifies until it expires; the profile is gone, not pending.
      const me = await call(svc(), 'GET', '/me', { token: doomed.token });
      assert.equal(me.statusCode, 404);
      assert.equal(me.json().code, 'USERS_NOT_FOUND');
      assert.equal(me.headers['retry-after'], undefined);
      const patch = await call(svc(), 'PATCH', '/me', {
        token: doomed.token,
        payload: { name: 'Back' },
      });
      assert.equal(patch.statusCode, 404);

      const row = await database(svc())
        .db.selectFrom('profiles')
        .select(['deleted_at', 'deleted_by'])
        .where('id', '=', doomed.userId)
        .executeTakeFirstOrThrow();
      assert.ok(row.deleted_at instanceof Date, 'soft delete keeps the row');
      assert.equal(row.deleted_by, admin.userId);

      const again = await call(svc(), 'DELETE', `/${doomed.userId}`, { token: admin.token });
      assert.equal(again.statusCode, 404);
    });

    test('an admin deleting themselves gets 409 and stays', async () => {
      const admin = await addTenantAdmin(svc());
      const response = await call(svc(), 'DELETE', `/${admin.userId.toUpperCase()}`, {
        token: admin.token,
      });
      assert.equal(response.statusCode, 409);
      const problem = response.json();
      assert.equal(problem.code, 'USERS_CANNOT_DELETE_SELF');
      assert.match(problem.detail, /another admin/);
      assert.equal((await call(svc(), 'GET', '/me', { token: admin.token })).statusCode, 200);
    });
  });
}
