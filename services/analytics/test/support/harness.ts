import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { type Database, EmbeddedBus, type ServiceInstance } from '@lattice/platform';
import {
  buildTestService,
  type DatabaseKind,
  needs,
  type TestTokenIssuer,
  testTokenIssuer,
} from '@lattice/platform/testing';
import { service } from '../../src/app.ts';
import type { AnalyticsConfigProperties } from '../../src/config.ts';
import type { AnalyticsDb } from '../../src/data/schema.ts';

export type AnalyticsService = ServiceInstance<AnalyticsConfigProperties> & {
  /** The in-process bus the service consumes from. */
  bus: EmbeddedBus;
  issuer: TestTokenIssuer;
};

/** Each behaviour runs on both databases; PostgreSQL only when it answers. */
export const databases: Array<{ kind: DatabaseKind; skip: string | false }> = [
  { kind: 'pglite', skip: false },
  { kind: 'postgres', skip: needs('postgres') },
];

/**
 * One service per database, built in `before` and closed in `after` of the enclosing describe:
 * an in-memory PGlite costs seconds to create, so suites share it and use fresh tenants.
 */
export function sharedAnalyticsService(kind: DatabaseKind): () => AnalyticsService {
  const cleanups: Array<() => unknown> = [];
  let instance: AnalyticsService | undefined;
  before(async () => {
    const issuer = await testTokenIssuer();
    cleanups.push(() => issuer.close());
    const bus = new EmbeddedBus();
    cleanups.push(() => bus.close());
    const collector = { after: (fn: unknown) => void cleanups.push(fn as () => unknown) };
    const built = await buildTestService(collector as never, service, {
      db: kind,
      embeddedBus: bus,
      env: { AUTH_JWKS_URL: issuer.jwksUrl },
    });
    instance = Object.assign(built, { bus, issuer });
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return () => {
    if (!instance) throw new Error('the analytics service is not built yet');
    return instance;
  };
}

export function database(svc: AnalyticsService): Database<AnalyticsDb> {
  return svc.context.db as Database<AnalyticsDb>;
}

/** An access token of `roles` in `tenantId` (a fresh user). */
export function tokenFor(svc: AnalyticsService, tenantId: string, roles: string[]) {
  return svc.issuer.sign({ userId: randomUUID(), tenantId, roles });
}

export async function get(svc: AnalyticsService, path: string, token?: string) {
  return svc.app.inject({
    method: 'GET',
    url: `/api/v1/analytics${path}`,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/** Polls `read` until `done` holds (events travel asynchronously); fails after `timeoutMs`. */
export async function until<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() - started > timeoutMs) {
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** How many events the read-model consumer has recorded in its inbox. */
export async function appliedCount(svc: AnalyticsService): Promise<number> {
  const row = await database(svc)
    .db.selectFrom('inbox')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('consumer', '=', 'analytics_read-models')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
