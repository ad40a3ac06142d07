import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import type { Discovery } from '@lattice/platform';
import { json, readBody } from './upstream.ts';

type After = Pick<TestContext, 'after'>;

/** How an instance answers a request that is not its readiness probe. */
export type Behaviour = (req: IncomingMessage, res: ServerResponse, instance: FakeInstance) => void;

/** Answers 200 with its name and the body it received. */
export const answerName: Behaviour = async (req, res, instance) => {
  const body = (await readBody(req)).toString();
  json(res, 200, { instance: instance.name, body });
};

/**
 * One instance of a fake service on a real port, which can be killed, drained and restarted
 * on the same port, as a service's pod would be.
 */
export class FakeInstance {
  readonly name: string;
  url = '';
  port = 0;
  /** Requests other than readiness probes. */
  hits = 0;
  probes = 0;
  /** What /health/ready answers: 200 ready, 503 draining. */
  ready = true;
  behaviour: Behaviour;
  #server: Server | undefined;

  constructor(name: string, behaviour: Behaviour) {
    this.name = name;
    this.behaviour = behaviour;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      if (req.url === '/health/ready') {
        this.probes++;
        json(res, this.ready ? 200 : 503, { status: this.ready ? 'ready' : 'draining' });
        return;
      }
      this.hits++;
      this.behaviour(req, res, this);
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
    this.#server = server;
  }

  /** Dies at once: every connection cut, the port refusing. */
  async kill(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  /** Graceful, like the kit: readiness 503 for `drainMs`, then in-flight requests finish. */
  async drainAndStop(drainMs: number): Promise<void> {
    this.ready = false;
    await new Promise((resolve) => setTimeout(resolve, drainMs));
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeIdleConnections();
    await closed;
  }

  async restart(): Promise<void> {
    this.ready = true;
    await this.start();
  }
}

export async function startFleet(
  t: After,
  count: number,
  behaviour: Behaviour = answerName,
): Promise<FakeInstance[]> {
  const fleet: FakeInstance[] = [];
  for (let i = 0; i < count; i++) {
    const instance = new FakeInstance(`i${i + 1}`, behaviour);
    await instance.start();
    fleet.push(instance);
  }
  t.after(() => Promise.all(fleet.map((instance) => instance.kill())));
  return fleet;
}

/** A Discovery whose table a test changes, as the watching implementations change theirs. */
export class MutableDiscovery implements Discovery {
  readonly #table = new Map<string, string[]>();

  constructor(table: Record<string, string[]>) {
    for (const [name, urls] of Object.entries(table)) this.#table.set(name, urls);
  }

  set(service: string, urls: string[]): void {
    this.#table.set(service, urls);
  }

  instances(service: string): string[] {
    return this.#table.get(service) ?? [];
  }

  services(): string[] {
    return [...this.#table.keys()];
  }
}

/** Polls `check` every 20 ms until true; fails after `timeoutMs`. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs)
      throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
