import { generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createService,
  type Discovery,
  openPGliteDatabase,
  PGliteHost,
  type ServiceDefinition,
  type ServiceInstance,
} from '@lattice/platform';
import { service as authService } from '../../../auth/src/app.ts';
import { service as todosService } from '../../../todos/src/app.ts';
import { service as workerService } from '../../src/app.ts';

export const ADMIN_EMAIL = 'operator@worker.test';
const SECRETS = {
  worker: 'worker-secret-0123456789abcdef-0123456789abcdef',
};

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
 * Stands in for a service whose code does not exist yet (orders, notifications): a real kit
 * service on a real port whose one internal route checks real service tokens from the auth
 * service and answers what the test says, when the test says.
 */
export interface StubService {
  instance: ServiceInstance;
  url: string;
  /** Who called, by service name, in order. */
  callers: string[];
  /** The answer to the next calls. */
  answer: { status: number; body: unknown };
  /** While set, calls wait for it. */
  hold: Promise<void> | undefined;
}

export async function stubService(
  name: string,
  path: string,
  discovery: Discovery,
  answer: StubService['answer'],
): Promise<StubService> {
  const stub = { callers: [] as string[], answer, hold: undefined } as unknown as StubService;
  const definition: ServiceDefinition = {
    name,
    routes(app, { auth }) {
      app.post(path, { preHandler: [auth.authenticateService] }, async (request, reply) => {
        stub.callers.push(request.caller?.service ?? '?');
        await stub.hold;
        reply.code(stub.answer.status);
        return stub.answer.body;
      });
    },
  };
  stub.instance = await createService(definition, { env: { LOG_LEVEL: 'silent' }, discovery });
  stub.url = await stub.instance.listen(0);
  return stub;
}

/** A port that was just free and is now closed: a service that is down. */
export async function deadUrl(): Promise<string> {
  const server: Server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

export interface Platform {
  discovery: TestDiscovery;
  auth: ServiceInstance;
  todos: ServiceInstance;
  worker: ServiceInstance;
  stop(): Promise<void>;
}

/**
 * The real auth, todos and worker services on one in-memory PGlite (a schema each, as in
 * embedded mode), on real ports, found through one discovery table.
 */
export async function startPlatform(workerEnv: Record<string, string> = {}): Promise<Platform> {
  const host = await PGliteHost.open();
  const discovery = new TestDiscovery();
  const started: ServiceInstance[] = [];
  const stop = async () => {
    for (const instance of started.reverse()) await instance.close();
    await host.close();
  };
  try {
    const auth = await createService(authService, {
      env: {
        LOG_LEVEL: 'silent',
        JWT_PRIVATE_KEY: generateKeyPairSync('ed25519')
          .privateKey.export({ format: 'pem', type: 'pkcs8' })
          .toString(),
        AUTH_EMBEDDED_OPERATOR: 'false',
        PLATFORM_ADMIN_EMAILS: ADMIN_EMAIL,
        AUTH_SERVICE_CREDENTIALS: `worker=${SECRETS.worker}`,
      },
      database: await openPGliteDatabase(host, 'auth'),
      discovery,
    });
    started.push(auth);
    discovery.table.set('auth', await auth.listen(0));
    const todos = await createService(todosService, {
      env: { LOG_LEVEL: 'silent' },
      database: await openPGliteDatabase(host, 'todos'),
      discovery,
    });
    started.push(todos);
    discovery.table.set('todos', await todos.listen(0));
    const worker = await createService(workerService, {
      env: {
        LOG_LEVEL: 'silent',
        SERVICE_CLIENT_SECRET: SECRETS.worker,
        WORKER_JOBS_ENABLED: 'false',
        ...workerEnv,
      },
      database: await openPGliteDatabase(host, 'worker'),
      discovery,
    });
    started.push(worker);
    discovery.table.set('worker', await worker.listen(0));
    return { discovery, auth, todos, worker, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** An access token from the real auth service for a new account (platform admin by email). */
export async function accountToken(auth: ServiceInstance, email: string): Promise<string> {
  const response = await auth.app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, password: 'correct horse battery staple', name: email.split('@')[0] },
  });
  if (response.statusCode !== 201) throw new Error(`register answered ${response.body}`);
  return response.json().accessToken as string;
}
