import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import type { TProperties } from 'typebox';
import { ConfigError } from '../config/load-config.ts';
import { createService, type ServiceInstance } from '../create-service.ts';
import type { ServiceDefinition } from '../service-types.ts';
import { onShutdownSignal } from './shutdown.ts';

/** Reports a start failure in one readable line and exits; a bad config is not a crash trace. */
export function exitOnStartFailure(service: string, error: unknown): never {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    pino({ base: { service } }).fatal({ err: error }, `${service} failed to start`);
  }
  process.exit(1);
}

/**
 * Starts one service as its own process (distributed mode, Compose, Kubernetes): config from
 * the environment, listen on PORT or the port in the service's package.json, stop gracefully
 * on SIGTERM/SIGINT.
 */
export async function runService<P extends TProperties>(
  definition: ServiceDefinition<P>,
  manifest: URL,
): Promise<ServiceInstance<P>> {
  let instance: ServiceInstance<P>;
  try {
    instance = await createService(definition);
    const declared =
      (JSON.parse(readFileSync(manifest, 'utf8')) as { lattice?: { port?: number } }).lattice
        ?.port ?? 0;
    await instance.listen(instance.config.PORT || declared);
  } catch (error) {
    exitOnStartFailure(definition.name, error);
  }
  onShutdownSignal(() => instance.close(), {
    timeoutMs: instance.config.SHUTDOWN_TIMEOUT_MS,
    logger: instance.context.log,
  });
  return instance;
}
