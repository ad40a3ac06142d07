import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EmbeddedBus } from '../../src/bus/embedded-bus.ts';
import type { CloudEvent } from '../../src/bus/event-bus.ts';
import { createService, type ServiceInstance } from '../../src/create-service.ts';
import { PGliteHost } from '../../src/db/pglite-host.ts';
import { createHttpClient } from '../../src/http/resilient-client.ts';
import type { ServiceDefinition } from '../../src/service-types.ts';
import {
  createTestDatabase,
  deleteConsumerGroups,
  expectTrace,
  infrastructure,
  isDescendant,
  needs,
  newTraceparent,
  type TestDatabase,
} from '../../src/testing/index.ts';
import { ENTRY_RECORDED, ledgerService } from '../fixtures/ledger/ledger-service.ts';
import { captureLogs } from '../support.ts';

/** Calls ledger over real HTTP with the kit's resilient client: one hop between services. */
function frontService(ledgerUrl: () => string): ServiceDefinition {
  return {
    name: 'front',
    routes(app, context) {
      const ledger = createHttpClient({ name: 'ledger', baseUrl: ledgerUrl, retries: 0 });
      context.onClose(() => ledger.close());
      app.post('/front/entries', async (request, reply) => {
        request.log.info('front forwards the entry');
        const answer = await context.tracing.span('front.forward', () =>
          ledger.post<{ id: string }>('/entries', { amount: 4 }),
        );
        return reply.code(answer.status).send(answer.body);
      });
      app.get('/front/refused', async () => {
        throw new Error('refused on purpose');
      });
    },
  };
}

/** Consumes ledger's events in another service: the bus hop. */
const tallyService: ServiceDefinition = {
  name: 'tally',
  migrations: new URL('../fixtures/ledger/migrations/', import.meta.url),
  routes(_app, context) {
    context.events.consume<{ entryId: string; amount: number }>({
      name: 'tally',
      types: [ENTRY_RECORDED],
      handler: async (event: CloudEvent<{ entryId: string }>) => {
        context.log.info({ entryId: event.data.entryId }, 'tally counted the entry');
      },
    });
  },
};

interface Mode {
  name: string;
  skip: string | false;
  start(logs: ReturnType<typeof captureLogs>): Promise<{
    services: ServiceInstance[];
    stop(): Promise<void>;
  }>;
}

const embedded: Mode = {
  name: 'embedded (PGlite, in-process bus)',
  skip: false,
  async start(logs) {
    const pglite = await PGliteHost.open();
    const embeddedBus = new EmbeddedBus();
    const options = { pglite, embeddedBus, logger: logs.logger };
    const env = { LATTICE_MODE: 'embedded', LOG_LEVEL: 'info' };
    const ledger = await createService(ledgerService, { ...options, env });
    const tally = await createService(tallyService, { ...options, env });
    await ledger.listen(0);
    const front = await createService(
      frontService(
        () => `http://127.0.0.1:${(ledger.app.server.address() as { port: number }).port}`,
      ),
      { ...options, env },
    );
    return {
      services: [front, ledger, tally],
      async stop() {
        await front.close();
        await tally.close();
        await ledger.close();
        await embeddedBus.close();
        await pglite.close();
      },
    };
  },
};

const distributed: Mode = {
  name: 'distributed (PostgreSQL, JetStream)',
  skip: needs('postgres') || needs('nats'),
  async start(logs) {
    const env = {
      LATTICE_MODE: 'distributed',
      LOG_LEVEL: 'info',
      NATS_URL: infrastructure.find((i) => i.name === 'nats')!.url,
      EVENT_GROUP_PREFIX: `trace${process.pid}-`,
    };
    const databases: TestDatabase[] = [];
    const open = async (name: string) => {
      const test = await createTestDatabase(name, 'postgres');
      databases.push(test);
      return test.database;
    };
    const ledger = await createService(ledgerService, {
      env,
      database: await open('ledger'),
      logger: logs.logger,
    });
    const tally = await createService(tallyService, {
      env,
      database: await open('tally'),
      logger: logs.logger,
    });
    await ledger.listen(0);
    const front = await createService(
      frontService(
        () => `http://127.0.0.1:${(ledger.app.server.address() as { port: number }).port}`,
      ),
      { env, logger: logs.logger },
    );
    return {
      services: [front, ledger, tally],
      async stop() {
        await front.close();
        await tally.close();
        await ledger.close();
        for (const d of databases) await d.cleanup();
        await deleteConsumerGroups(env.NATS_URL, env.EVENT_GROUP_PREFIX);
      },
    };
  },
};

for (const mode of [embedded, distributed]) {
  describe(`one trace across HTTP, the outbox and the bus: ${mode.name}`, {
    skip: mode.skip,
  }, () => {
    const logs = captureLogs();
    let platform: Awaited<ReturnType<Mode['start']>>;
    before(async () => {
      platform = await mode.start(logs);
    });
    after(() => platform?.stop());

    test('a request through two services and an event consumed by a third makes one trace', async () => {
      {
        const [front] = platform.services;
        const { traceId, traceparent } = newTraceparent();
        const response = await front!.app.inject({
          method: 'POST',
          url: '/front/entries',
          headers: { traceparent },
        });
        assert.equal(response.statusCode, 201, response.body);

        const { matched, spans } = await expectTrace(traceId, [
          { service: 'front', kind: 'server', name: 'POST /front/entries' },
          { service: 'front', kind: 'internal', name: 'front.forward' },
          { service: 'front', kind: 'client', name: 'POST' },
          { service: 'ledger', kind: 'server', name: 'POST /entries' },
          { service: 'ledger', kind: 'client', name: /^INSERT ledger$/ },
          {
            service: 'ledger',
            kind: 'producer',
            name: 'send ledger.entry.recorded.v1',
            attributes: { 'messaging.destination.name': 'ledger.entry.recorded.v1' },
          },
          {
            service: 'tally',
            kind: 'consumer',
            name: 'process ledger.entry.recorded.v1',
            attributes: {
              'messaging.consumer.group.name': `${mode === distributed ? `trace${process.pid}-` : ''}tally_tally`,
            },
          },
        ]);
        const [frontServer, forward, client, ledgerServer, insert, publish, consume] = matched as [
          (typeof matched)[number],
          ...(typeof matched)[number][],
        ];
        // The chain of parents: each hop is a child of the one before, not merely the same trace.
        assert.equal(forward!.parentSpanId, frontServer.spanId);
        assert.equal(client!.parentSpanId, forward!.spanId);
        assert.equal(
          ledgerServer!.parentSpanId,
          client!.spanId,
          'traceparent injected by the client',
        );
        assert.ok(isDescendant(spans, insert!, ledgerServer!));
        assert.equal(
          publish!.parentSpanId,
          ledgerServer!.spanId,
          'the outbox row kept the request context',
        );
        assert.equal(
          consume!.parentSpanId,
          publish!.spanId,
          'the consumer is a child of the publish',
        );
        assert.equal(ledgerServer!.attributes['http.response.status_code'], 201);

        // Log lines written inside the handler and the consumer carry their span's ids.
        const lines = logs.lines();
        const forwarded = lines.find((l) => l.msg === 'front forwards the entry');
        assert.equal(forwarded?.traceId, traceId);
        assert.equal(forwarded?.spanId, frontServer.spanId);
        // A durable group on a shared JetStream may also read older runs' events: find this one's.
        const counted = lines.find(
          (l) => l.msg === 'tally counted the entry' && l.entryId === response.json().id,
        );
        assert.equal(counted?.traceId, traceId);
        assert.equal(counted?.spanId, consume!.spanId);
      }
    });

    test('problem+json carries the trace id of the request, new or continued', async () => {
      {
        const [front] = platform.services;
        const { traceId, traceparent } = newTraceparent();
        const continued = await front!.app.inject({
          url: '/front/refused',
          headers: { traceparent },
        });
        assert.equal(continued.statusCode, 500);
        assert.equal(continued.json().traceId, traceId);
        const { matched } = await expectTrace(traceId, [
          { service: 'front', kind: 'server', name: 'GET /front/refused' },
        ]);
        assert.equal(matched[0]!.status, 'error');
        const failed = logs
          .lines()
          .find((l) => l.msg === 'request failed' && l.traceId === traceId);
        assert.ok(failed, 'the error log line carries the trace id');

        const fresh = await front!.app.inject({ url: '/front/missing' });
        assert.equal(fresh.statusCode, 404);
        const freshId = fresh.json().traceId as string;
        assert.match(freshId, /^[0-9a-f]{32}$/);
        await expectTrace(freshId, [{ service: 'front', kind: 'server', name: 'GET' }]);
      }
    });
  });
}
