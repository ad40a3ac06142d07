import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { ServiceInstance } from '../../src/create-service.ts';
import type { Database } from '../../src/db/database.ts';
import type { ServiceDefinition } from '../../src/service-types.ts';
import { buildTestService } from '../../src/testing/index.ts';
import { type Issuer, startIssuer } from '../auth/issuer.ts';
import { databaseKinds } from '../support.ts';

/** A service with a database and nothing else: the kit's outbox and inbox tables. */
const keeper: ServiceDefinition = {
  name: 'keeper',
  migrations: new URL('../fixtures/ledger/migrations/', import.meta.url),
  routes() {},
};
const stateless: ServiceDefinition = { name: 'stateless', routes() {} };

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const serviceToken = (issuer: Issuer, callee: string) =>
  issuer.sign(
    {},
    {
      sub: 'service:worker',
      aud: `urn:lattice:service:${callee}`,
      tid: undefined,
      roles: undefined,
    },
  );

async function addOutboxRow(database: Database, ageMs: number, sent: boolean): Promise<string> {
  const id = randomUUID();
  const at = new Date(Date.now() - ageMs);
  await sql`INSERT INTO outbox (id, aggregate, type, event, created_at, sent_at)
    VALUES (${id}, 'a-1', 'lattice.keeper.thing.happened.v1', ${JSON.stringify({ id })}::jsonb,
      ${at}, ${sent ? at : null})`.execute(database.db);
  return id;
}

async function addInboxRow(database: Database, ageMs: number): Promise<string> {
  const id = randomUUID();
  await sql`INSERT INTO inbox (consumer, event_id, processed_at)
    VALUES ('keeper.totals', ${id}, ${new Date(Date.now() - ageMs)})`.execute(database.db);
  return id;
}

async function ids(database: Database, table: 'outbox' | 'inbox'): Promise<string[]> {
  const column = table === 'outbox' ? sql.ref('id') : sql.ref('event_id');
  const result = await sql<{
    id: string;
  }>`SELECT ${column}::text AS id FROM ${sql.table(table)}`.execute(database.db);
  return result.rows.map((row) => row.id).sort();
}

for (const { kind, skip } of databaseKinds) {
  describe(`POST /internal/maintenance/prune on ${kind}`, { skip }, () => {
    // One service per database kind: a PGlite costs seconds to start on a loaded machine.
    let issuer: Issuer;
    let service: ServiceInstance;
    const cleanups: Array<() => Promise<void>> = [];
    before(async () => {
      issuer = await startIssuer({ after: (fn) => void cleanups.push(fn as never) });
      service = await buildTestService({ after: (fn) => void cleanups.push(fn as never) }, keeper, {
        db: kind,
        env: {
          AUTH_JWKS_URL: issuer.jwksUrl,
          MAINTENANCE_OUTBOX_RETENTION_MS: String(2 * HOUR_MS),
          MAINTENANCE_INBOX_RETENTION_MS: String(7 * DAY_MS),
        },
      });
    });
    after(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });
    const prune = async (token: string | undefined) => {
      const response = await service.app.inject({
        method: 'POST',
        url: '/internal/maintenance/prune',
        payload: {},
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
      return { response, status: response.statusCode, body: response.json() };
    };

    test('answers 401 to an anonymous caller, a user token and a token for another service', async () => {
      const old = await addInboxRow(service.context.db, 30 * DAY_MS);
      const tokens = [
        undefined,
        await issuer.sign({ roles: ['platform-admin'] }),
        await serviceToken(issuer, 'users'),
      ];
      for (const token of tokens) {
        const { response, status } = await prune(token);
        assert.equal(status, 401);
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      }
      assert.ok((await ids(service.context.db, 'inbox')).includes(old), 'nothing was pruned');
      await sql`DELETE FROM inbox`.execute(service.context.db.db);
    });

    test('deletes published outbox rows and processed inbox rows past retention, nothing else', async () => {
      const database = service.context.db;
      await addOutboxRow(database, 3 * HOUR_MS, true); // published, past retention
      const recentSent = await addOutboxRow(database, HOUR_MS, true);
      const oldUnsent = await addOutboxRow(database, 30 * DAY_MS, false);
      await addInboxRow(database, 8 * DAY_MS); // processed, past retention
      const recentInbox = await addInboxRow(database, 6 * DAY_MS);
      const token = await serviceToken(issuer, 'keeper');

      const first = await prune(token);
      assert.deepEqual([first.status, first.body], [200, { outbox: 1, inbox: 1 }]);
      assert.deepEqual(await ids(database, 'outbox'), [recentSent, oldUnsent].sort());
      assert.deepEqual(await ids(database, 'inbox'), [recentInbox]);
      const again = await prune(token);
      assert.deepEqual([again.status, again.body], [200, { outbox: 0, inbox: 0 }], 'idempotent');
    });
  });
}

test('a service without a database has no prune route: 404', async (t) => {
  const issuer = await startIssuer(t);
  const service = await buildTestService(t, stateless, { env: { AUTH_JWKS_URL: issuer.jwksUrl } });
  const response = await service.app.inject({
    method: 'POST',
    url: '/internal/maintenance/prune',
    payload: {},
    headers: { authorization: `Bearer ${await serviceToken(issuer, 'stateless')}` },
  });
  assert.equal(response.statusCode, 404);
});
