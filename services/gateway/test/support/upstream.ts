import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { type Discovery, StaticDiscovery } from '@lattice/platform';
import { buildTestService } from '@lattice/platform/testing';
import { Client } from 'undici';
import { service } from '../../src/app.ts';
import { startIssuer } from './issuer.ts';

type After = Pick<TestContext, 'after'>;

export interface Upstream {
  url: string;
  server: Server;
  /** Every request the upstream received, in order. */
  seen: IncomingMessage[];
}

/** A real HTTP server on port 0 standing in for a service; closed when the test ends. */
export async function startUpstream(t: After, handler: RequestListener): Promise<Upstream> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    handler(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen };
}

/** The origin of a port nothing listens on: connections to it are refused. */
export async function refusingOrigin(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/**
 * The gateway built in-process (ready for `app.inject`) over the given upstreams, verifying
 * tokens against its own test issuer; `authorization` is a valid member's header value.
 */
export async function buildGateway(
  t: After,
  table: Record<string, string | string[]> | Discovery,
  env: Record<string, string> = {},
) {
  const discovery: Discovery =
    typeof (table as Discovery).instances === 'function'
      ? (table as Discovery)
      : new StaticDiscovery(table as Record<string, string | string[]>);
  const issuer = await startIssuer(t);
  const gateway = await buildTestService(t, service, {
    discovery,
    // Active health checks off unless a test asks: their probes would show up in `seen`.
    env: { AUTH_JWKS_URL: issuer.jwksUrl, GATEWAY_HEALTH_CHECK_INTERVAL_MS: '0', ...env },
  });
  return Object.assign(gateway, { issuer, authorization: `Bearer ${issuer.sign()}` });
}

/** The gateway listening on a real port, with an undici client to call it through. */
export async function listenGateway(
  t: After,
  table: Record<string, string | string[]> | Discovery,
  env: Record<string, string> = {},
) {
  let server: Server | undefined;
  // After hooks run in order, so this runs before the gateway's graceful close, which would wait
  // forever for a connection a failed test left with an unfinished request.
  t.after(() => server?.closeAllConnections());
  const gateway = await buildGateway(t, table, env);
  server = gateway.app.server;
  const address = await gateway.listen(0);
  const client = new Client(address);
  t.after(() => client.close());
  return { gateway, address, client };
}

/** A raw TCP connection to speak HTTP/1.1 by hand (closed with the gateway's connections). */
export async function rawConnection(address: string): Promise<Socket> {
  const { hostname, port } = new URL(address);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  return socket;
}
