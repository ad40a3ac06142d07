import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface CatalogEntry {
  name: string;
  dir: string;
  /** The port it listens on: `<NAME>_PORT` (the gateway's is `GATEWAY_PORT`), else package.json. */
  port: number;
  /** Module exporting the `service` definition. */
  appModule: string;
  /** Absolute path of `src/main.ts`, the service's own process entry. */
  mainModule: string;
}

/** `users-admin` → `USERS_ADMIN_PORT`; the gateway's is `GATEWAY_PORT`. */
export function portVariable(name: string): string {
  return `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_PORT`;
}

/**
 * The services of the repository: every `services/<name>` with a `src/app.ts`. Each declares
 * its port in its package.json (`"lattice": { "port": 8081 }`): one table for every run mode.
 * A malformed declaration or override, or two services on one port, throws with the culprit named.
 */
export function readServiceCatalog(
  root: string,
  env: Record<string, string | undefined> = process.env,
): CatalogEntry[] {
  const servicesDir = join(root, 'services');
  if (!existsSync(servicesDir)) return [];
  const catalog = readdirSync(servicesDir, { withFileTypes: true })
    .filter(
      (entry) => entry.isDirectory() && existsSync(join(servicesDir, entry.name, 'src', 'app.ts')),
    )
    .map((entry) => entry.name)
    // Sorted by name so a clash names the same pair on every file system.
    .sort()
    .map((name): CatalogEntry => {
      const dir = join(servicesDir, name);
      const mainModule = join(dir, 'src', 'main.ts');
      if (!existsSync(mainModule))
        throw new Error(`${mainModule}: missing; a service with src/app.ts needs src/main.ts`);
      // Read even when overridden: the declaration is the table every run mode relies on.
      const declared = declaredPort(join(dir, 'package.json'));
      return {
        name,
        dir,
        port: overriddenPort(name, env) ?? declared,
        appModule: pathToFileURL(join(dir, 'src', 'app.ts')).href,
        mainModule,
      };
    });
  const byPort = new Map<number, string>();
  for (const { name, port } of catalog) {
    const other = byPort.get(port);
    if (other) throw new Error(`${other} and ${name} would both listen on port ${port}`);
    byPort.set(port, name);
  }
  return catalog.sort((a, b) => a.port - b.port);
}

/** `SERVICE_URLS` for static discovery of the catalog on this host. */
export function serviceUrls(catalog: CatalogEntry[], host = '127.0.0.1'): string {
  return catalog.map((entry) => `${entry.name}=http://${host}:${entry.port}`).join(',');
}

function declaredPort(manifest: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(manifest, 'utf8'));
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (error as Error).message;
    throw new Error(`${manifest}: cannot read it (${reason})`);
  }
  const port = (parsed as { lattice?: { port?: unknown } } | null)?.lattice?.port;
  if (port === undefined)
    throw new Error(
      `${manifest}: needs "lattice": { "port": <integer 1-65535> }; every service declares its port`,
    );
  if (!isPort(port)) throw new Error(`${manifest}: lattice.port must be an integer 1-65535`);
  return port;
}

function overriddenPort(name: string, env: Record<string, string | undefined>): number | undefined {
  const variable = portVariable(name);
  const value = env[variable];
  if (value === undefined || value === '') return undefined;
  const port = /^[0-9]+$/.test(value) ? Number(value) : Number.NaN;
  if (!isPort(port)) throw new Error(`${variable}=${value}: expected an integer 1-65535`);
  return port;
}

function isPort(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;
}
