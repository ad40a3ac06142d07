import { type CatalogEntry, localServiceCredentials, serviceUrls } from '@lattice/platform';
import type { ServiceSpec } from './supervisor.ts';

/** One process per service: Node on its `src/main.ts`, told its port and where every peer lives. */
export function buildSpecs(
  catalog: CatalogEntry[],
  options: { command: string; env: NodeJS.ProcessEnv; rootDir: string },
): ServiceSpec[] {
  const urls = serviceUrls(catalog);
  const credentials = localServiceCredentials(
    catalog.map((s) => s.name),
    options.env,
  );
  return catalog.map((service) => ({
    name: service.name,
    command: options.command,
    args: [service.mainModule],
    cwd: options.rootDir,
    env: {
      ...options.env,
      ...credentials(service.name),
      LATTICE_MODE: 'distributed',
      PORT: String(service.port),
      SERVICE_NAME: service.name,
      SERVICE_URLS: urls,
    },
  }));
}
