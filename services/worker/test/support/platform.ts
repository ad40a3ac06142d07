import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createService,
  type Discovery,
  EmbeddedBus,
  openPGliteDatabase,
  PGliteHost,
  type ServiceDefinition,
  type ServiceInstance,
} from '@lattice/platform';
import type { TProperties } from 'typebox';
import { service as authService } from '../../../auth/src/app.ts';
import { service as gatewayService } from '../../../gateway/src/app.ts';
import { service as notificationsService } from '../../../notifications/src/app.ts';
import { service as ordersService } from '../../../orders/src/app.ts';
import { service as todosService } from '../../../todos/src/app.ts';
import { service as workerService } from '../../src/app.ts';

export const ADMIN_EMAIL = 'operator@worker.test';
const WORKER_SECRET = 'worker-secret-0123456789abcdef-0123456789abcdef';
const NOTIFICATIONS_SECRET = 'notifications-secret-0123456789abcdef-012345678';

/** A discovery table the test edits: services come, go and move while the worker runs. */
export class TestDiscovery implements Discovery {
  readonly table = new Map<string, string>();
  instances(service: string): string[] {
    const url = this.table.get(service);
    return url ? [url] : [];
  }
  services(): string[] {
    return [...this.table.keys()];
  }
}

/**
 * A broken instance for fault injection: a real HTTP server that answers every request with
 * `handle` (an error, or nothing at all). Closed by the returned function.
 */
export async function faultyServer(
  handle: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A port that was just free and is now closed: a service that is down. */
export async function deadUrl(): Promise<string> {
  const server = await faultyServer(() => {});
  await server.close();
  return server.url;
}

export interface Platform {
  discovery: TestDiscovery;
  bus: EmbeddedBus;
  auth: ServiceInstance;
  todos: ServiceInstance;
  orders: ServiceInstance;
  notifications: ServiceInstance;
  gateway: ServiceInstance;
  worker: ServiceInstance;
  stop(): Promise<void>;
}

/**
 * The real services the worker's jobs call — auth (tokens), todos, orders, notifications, a
 * gateway (no database) — and the worker, as embedded mode runs them: one PGlite with a schema
 * each, one in-process bus, each on a real port, found through one discovery table.
 */
export async function startPlatform(workerEnv: Record<string, string> = {}): Promise<Platform> {
  const host = await PGliteHost.open();
  const bus = new EmbeddedBus();
  const discovery = new TestDiscovery();
  const started: ServiceInstance[] = [];
  const stop = async () => {
    for (const instance of started.reverse()) await instance.close();
    await bus.close();
    await host.close();
  };
  const start = async <P extends TProperties>(
    definition: ServiceDefinition<P>,
    env: Record<string, string> = {},
  ): Promise<ServiceInstance> => {
    const created = await createService(definition, {
      env: { LOG_LEVEL: 'silent', ...env },
      ...(definition.migrations
        ? { database: await openPGliteDatabase(host, definition.name), embeddedBus: bus }
        : {}),
      discovery,
    });
    // Each service's own config type does not matter to the harness.
    const instance = created as unknown as ServiceInstance;
    started.push(instance);
    discovery.table.set(definition.name, await instance.listen(0));
    return instance;
  };
  try {
    const auth = await start(authService, {
      JWT_PRIVATE_KEY: generateKeyPairSync('ed25519')
        .privateKey.export({ format: 'pem', type: 'pkcs8' })
        .toString(),
      AUTH_EMBEDDED_OPERATOR: 'false',
      PLATFORM_ADMIN_EMAILS: ADMIN_EMAIL,
      AUTH_SERVICE_CREDENTIALS: `worker=${WORKER_SECRET},notifications=${NOTIFICATIONS_SECRET}`,
    });
    const [todos, orders, notifications, gateway] = await Promise.all([
      start(todosService),
      // Pending for more than a second is late: the timeout job has something to expire.
      start(ordersService, { ORDERS_PAYMENT_TIMEOUT_MS: '1000' }),
      start(notificationsService, {
        SERVICE_CLIENT_SECRET: NOTIFICATIONS_SECRET,
        NOTIFICATIONS_USERS_TIMEOUT_MS: '200',
      }),
      start(gatewayService, { GATEWAY_READY_REQUIRES_UPSTREAMS: 'false' }),
    ]);
    const worker = await start(workerService, {
      SERVICE_CLIENT_SECRET: WORKER_SECRET,
      WORKER_JOBS_ENABLED: 'false',
      ...workerEnv,
    });
    return { discovery, bus, auth, todos, orders, notifications, gateway, worker, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** An access token from the real auth service for a new account (platform admin by email). */
export async function register(
  auth: ServiceInstance,
  email: string,
): Promise<{ token: string; userId: string }> {
  const response = await auth.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, password: 'correct horse battery staple', name: email.split('@')[0] },
  });
  if (response.statusCode !== 201) throw new Error(`register answered ${response.body}`);
  const body = response.json();
  return { token: body.accessToken, userId: body.user?.id ?? '' };
}
