import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface CatalogEntry {
  name: string;
  dir: string;
  /** The port it listens on unless `<NAME>_PORT` (or `GATEWAY_PORT`) says otherwise. */
  port: number;
  /** Module exporting the `service` definition. */
  appModule: string;
  mainModule: string;
}

/** `users-admin` → `USERS_ADMIN_PORT`; the gateway's is `GATEWAY_PORT`. */
export function portVariable(name: string): string {
  return `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PORT`;
}

/**
 * The services of the repository: every `services/<name>` with a `src/app.ts`. Each declares
 * its port in its package.json (`"lattice": { "port": 8081 }`): one table for every run mode.
 */
export function readServiceCatalog(
  root: string,
  env: Record<string, string | undefined> = process.env,
): CatalogEntry[] {
  const servicesDir = join(root, 'services');
  if (!existsSync(servicesDir)) return [];
  return readdirSync(servicesDir, { withFileTypes: true })
    .filter(
      (entry) => entry.isDirectory() && existsSync(join(servicesDir, entry.name, 'src', 'app.ts')),
    )
    .map((entry) => {
      const dir = join(servicesDir, entry.name);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        lattice?: { port?: number };
      };
      const declared = manifest.lattice?.port;
      if (!Number.isInteger(declared))
        throw new Error(
          `services/${entry.name}/package.json needs "lattice": { "port": <number> }`,
        );
      const override = env[portVariable(entry.name)];
      return {
        name: entry.name,
        dir,
        port: override ? Number(override) : (declared as number),
        appModule: pathToFileURL(join(dir, 'src', 'app.ts')).href,
        mainModule: join(dir, 'src', 'main.ts'),
      };
    })
    .sort((a, b) => a.port - b.port);
}

/** `SERVICE_URLS` for static discovery of the catalog on this host. */
export function serviceUrls(catalog: CatalogEntry[], host = '127.0.0.1'): string {
  return catalog.map((entry) => `${entry.name}=http://${host}:${entry.port}`).join(',');
}
