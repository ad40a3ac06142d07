import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  addTodo,
  call,
  database,
  newUser,
  type TestUser,
  type TodosService,
} from './support/harness.ts';

interface Page {
  items: Array<{ id: string; title: string; done: boolean; createdAt: string }>;
  nextCursor: string | null;
}

async function page(svc: TodosService, user: TestUser, query: string): Promise<Page> {
  const response = await call(svc, 'GET', query, { token: user.token });
  assert.equal(response.statusCode, 200, response.body);
  return response.json();
}

/** Follows nextCursor from the start to the last page; `between` runs before each next page. */
async function listAll(
  svc: TodosService,
  user: TestUser,
  limit: number,
  between: () => Promise<unknown> = async () => {},
): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | null = null;
  do {
    const query: string = `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
    pages.push(await page(svc, user, query));
    cursor = pages.at(-1)!.nextCursor;
    if (cursor) await between();
  } while (cursor && pages.length < 100);
  return pages;
}

export function listBehaviours(svc: () => TodosService): void {
  describe('GET /todos', () => {
    test("lists only the caller's live todos, newest first, filtered by status and text", async () => {
      const user = await newUser();
      const neighbour = await newUser({ tenantId: user.tenantId });
      await addTodo(svc(), neighbour, { title: 'Not mine' });
      const milk = await addTodo(svc(), user, { title: 'Buy milk' });
      const report = await addTodo(svc(), user, {
        title: 'Write report',
        description: 'Q3 MILKshake sales',
      });
      const gone = await addTodo(svc(), user, { title: 'Deleted milk' });
      const percent = await addTodo(svc(), user, { title: '100% done_ish' });
      await call(svc(), 'PATCH', `/${milk.id}`, { token: user.token, payload: { done: true } });
      await call(svc(), 'DELETE', `/${gone.id}`, { token: user.token });

      const ids = async (query: string) =>
        (await page(svc(), user, query)).items.map((todo) => todo.id);
      assert.deepEqual(await ids(''), [percent.id, report.id, milk.id]);
      assert.deepEqual(await ids('?status=done'), [milk.id]);
      assert.deepEqual(await ids('?status=open'), [percent.id, report.id]);
      assert.deepEqual(
        await ids('?q=milk'),
        [report.id, milk.id],
        'title or description, any case',
      );
      assert.deepEqual(await ids('?q=milk&status=open'), [report.id]);
      // LIKE wildcards are text here: % and _ match only themselves.
      assert.deepEqual(await ids(`?q=${encodeURIComponent('100%')}`), [percent.id]);
      assert.deepEqual(await ids('?q=Bu_'), [], 'not Buy');
      assert.deepEqual(await ids('?q=%25'), [percent.id]);
      assert.equal((await page(svc(), user, '')).nextCursor, null);
    });

    test('pages follow nextCursor to the end: each todo once, in order, even with equal timestamps', async () => {
      const user = await newUser();
      const created: Array<{ id: string }> = [];
      for (let i = 0; i < 7; i++) created.push(await addTodo(svc(), user, { title: `T${i}` }));
      // Ties on created_at are where OFFSET-free pagination usually breaks: the id decides.
      const sameInstant = new Date('2025-06-01T12:00:00.000Z');
      await database(svc())
        .db.updateTable('todos')
        .set({ created_at: sameInstant })
        .where(
          'id',
          'in',
          created.slice(2, 6).map((todo) => todo.id),
        )
        .execute();
      const all = (await page(svc(), user, '?limit=100')).items.map((todo) => todo.id);
      assert.equal(all.length, 7);

      for (const limit of [1, 2, 3, 7]) {
        const pages = await listAll(svc(), user, limit);
        assert.deepEqual(
          pages.flatMap((p) => p.items.map((todo) => todo.id)),
          all,
          `limit ${limit}`,
        );
        assert.ok(pages.every((p) => p.items.length <= limit));
        assert.equal(pages.at(-1)!.nextCursor, null);
      }
    });

    test('pagination across pages with concurrent inserts returns each item once', async () => {
      const user = await newUser();
      const before: Array<{ id: string }> = [];
      for (let i = 0; i < 9; i++) before.push(await addTodo(svc(), user, { title: `Old ${i}` }));
      let inserted = 0;
      const pages = await listAll(svc(), user, 2, () =>
        // Other clients keep creating todos, several at once, while this one pages.
        Promise.all([1, 2].map(() => addTodo(svc(), user, { title: `New ${inserted++}` }))),
      );
      const seen = pages.flatMap((p) => p.items.map((todo) => todo.id));
      assert.equal(new Set(seen).size, seen.length, 'no todo twice');
      assert.deepEqual(
        seen.filter((id) => before.some((todo) => todo.id === id)),
        before.map((todo) => todo.id).reverse(),
        'every todo that existed when paging began, once, newest first',
      );
      assert.ok(inserted >= 8, 'inserts really happened between pages');
    });

    test('a deleted todo between pages is not repeated nor does it shift the next page', async () => {
      const user = await newUser();
      const todos: Array<{ id: string }> = [];
      for (let i = 0; i < 6; i++) todos.push(await addTodo(svc(), user, { title: `D${i}` }));
      const first = await page(svc(), user, '?limit=3');
      await call(svc(), 'DELETE', `/${first.items[0]!.id}`, { token: user.token });
      const second = await page(svc(), user, `?limit=3&cursor=${first.nextCursor}`);
      assert.deepEqual(
        [...first.items, ...second.items].map((todo) => todo.title),
        ['D5', 'D4', 'D3', 'D2', 'D1', 'D0'],
      );
    });
  });
}
