import { resolve } from 'node:path';
import { pino } from 'pino';
import { EmbeddedBus } from '../bus/embedded-bus.ts';
import { baseConfigSchema } from '../config/base-config.ts';
import { type Env, loadConfig } from '../config/load-config.ts';
import { createService, type ServiceInstance } from '../create-service.ts';
import { PGliteHost } from '../db/pglite-host.ts';
import { StaticDiscovery } from '../discovery.ts';
import { ObserverHub } from '../events/observer-hub.ts';
import { loggerOptions } from '../logger.ts';
import type { ServiceDefinition } from '../service-types.ts';
import { readServiceCatalog, serviceUrls } from './service-catalog.ts';
import { localServiceCredentials } from './service-credentials.ts';
import { onShutdownSignal } from './shutdown.ts';

export interface EmbeddedPlatform {
  services: ServiceInstance[];
  /** Name → base URL of every service. */
  urls: Record<string, string>;
  startedInMs: number;
  stop(): Promise<void>;
}

/**
 * Every service of the repository in this one process, each on its own port, all on one
 * PGlite under DATA_DIR (each in its own schema). Needs no server installed.
 */
export async function startEmbedded(
  root: string,
  env: Env = process.env,
): Promise<EmbeddedPlatform> {
  const started = performance.now();
  const config = loadConfig('lattice', baseConfigSchema, env);
  const logger = pino(loggerOptions(undefined, config.LOG_LEVEL));
  const catalog = readServiceCatalog(root, env);
  const discovery = StaticDiscovery.parse(env.SERVICE_URLS || serviceUrls(catalog));
  const credentials = localServiceCredentials(
    catalog.map((e) => e.name),
    env,
  );
  // One bus for the process: events cross from one service to another in memory.
  const observerHub = new ObserverHub();
  const embeddedBus = new EmbeddedBus({ observer: observerHub.observer });
  const pglite = await PGliteHost.open({ dataDir: resolve(root, config.DATA_DIR) });

  const settled = await Promise.allSettled(
    catalog.map(async (entry) => {
      const { service } = (await import(entry.appModule)) as { service: ServiceDefinition };
      return createService(service, {
        env: {
          ...env,
          ...credentials(entry.name),
          LATTICE_MODE: 'embedded',
          PORT: String(entry.port),
        },
        pglite,
        embeddedBus,
        observerHub,
        discovery,
        logger,
      });
    }),
  );
  const services = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  const stop = async () => {
    // The gateway first, so no new request enters while the services behind it drain.
    const gateway = services.filter((s) => s.name === 'gateway');
    await Promise.all(gateway.map((s) => s.close()));
    await Promise.all(services.filter((s) => s.name !== 'gateway').map((s) => s.close()));
    await embeddedBus.close();
    await pglite.close();
  };
  if (failed) {
    await stop();
    throw failed.reason;
  }

  try {
    const backends = services.filter((s) => s.name !== 'gateway');
    await Promise.all(backends.map((s) => s.listen()));
    await Promise.all(services.filter((s) => s.name === 'gateway').map((s) => s.listen()));
  } catch (error) {
    await stop();
    throw error;
  }
  const urls = Object.fromEntries(catalog.map((e) => [e.name, `http://${config.HOST}:${e.port}`]));
  return { services, urls, startedInMs: Math.round(performance.now() - started), stop };
}

/** `npm start`: the embedded platform until Ctrl-C. */
export async function runEmbedded(root: string): Promise<void> {
  const platform = await startEmbedded(root);
  const logger = pino(loggerOptions('lattice', process.env.LOG_LEVEL || 'info'));
  const width = Math.max(...Object.keys(platform.urls).map((n) => n.length));
  const table = Object.entries(platform.urls)
    .map(([name, url]) => `  ${name.padEnd(width)}  ${url}`)
    .join('\n');
  process.stdout.write(
    `\nLattice is up in ${platform.startedInMs} ms (embedded mode)\n${table}\n\n`,
  );
  logger.info({ urls: platform.urls, startedInMs: platform.startedInMs }, 'lattice started');
  const timeoutMs = Number(process.env.SHUTDOWN_TIMEOUT_MS || 10_000);
  onShutdownSignal(platform.stop, { timeoutMs, logger });
}
