// Reads the deploy files (deploy/compose.yaml, deploy/kubernetes/*.yaml) and the config schemas
// they must agree with, for tests/deploy. Nothing here runs Docker or a cluster.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  baseConfigSchema,
  type CatalogEntry,
  extendConfig,
  readServiceCatalog,
} from '@lattice/platform';
import type { TObject, TProperties } from 'typebox';
import { parse, parseAllDocuments } from 'yaml';

export const root = fileURLToPath(new URL('../../..', import.meta.url));
export const deployDir = join(root, 'deploy');
export const kubernetesDir = join(deployDir, 'kubernetes');

/** The catalog as declared in package.json files, whatever <NAME>_PORT this shell sets. */
export const catalog: CatalogEntry[] = readServiceCatalog(root, {});

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is walked by the tests' assertions.
export type Yaml = any;

export function readCompose(): Yaml {
  // merge: the file shares blocks through YAML anchors and `<<` merge keys, as Compose does.
  return parse(readFileSync(join(deployDir, 'compose.yaml'), 'utf8'), { merge: true });
}

export function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.ya?ml$/.test(file))
    .map((file) => join(dir, file));
}

/** Every document of every manifest under deploy/kubernetes, with the file it came from. */
export function readManifests(): { file: string; doc: Yaml }[] {
  return readdirSync(kubernetesDir)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(kubernetesDir, file), 'utf8')).map((doc) => ({
        file,
        doc: doc.toJS(),
      })),
    );
}

/** The full config schema of a service: the kit's base keys and every schema its config.ts exports. */
export async function serviceSchema(service: CatalogEntry): Promise<TObject<TProperties>> {
  const module = await import(pathToFileURL(join(service.dir, 'src', 'config.ts')).href);
  let schema: TObject<TProperties> = baseConfigSchema;
  for (const value of Object.values(module)) {
    const candidate = value as { type?: unknown; properties?: unknown };
    if (candidate && candidate.type === 'object' && typeof candidate.properties === 'object')
      schema = extendConfig(schema, candidate as TObject<TProperties>);
  }
  return schema;
}

/** Whether `key` is a key of `schema`, or `<KEY>_FILE` of one of its secret keys. */
export function knownKey(schema: TObject<TProperties>, key: string): boolean {
  if (key in schema.properties) return true;
  const base = key.endsWith('_FILE') ? key.slice(0, -'_FILE'.length) : undefined;
  return base !== undefined && (schema.properties[base] as { secret?: boolean })?.secret === true;
}

/** Compose's `${VAR:-default}` and `${VAR}` with nothing set: what `docker compose` sees in a clean shell. */
export function interpolateDefaults(value: string): string {
  return value.replace(
    /\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g,
    (_, _name, fallback) => fallback ?? '',
  );
}

/**
 * Runs the Compose `secrets-init` container's script with Node, against `dir` instead of the
 * volume and against this repository's services/ instead of the image's.
 */
export function runSecretsInit(compose: Yaml, dir: string): void {
  const command = compose.services['secrets-init'].command as string[];
  const script = command[command.length - 1]!.replaceAll("'/secrets/'", JSON.stringify(`${dir}/`))
    .replaceAll("'/secrets/", `'${dir}/`)
    .replaceAll("'/app/services'", JSON.stringify(join(root, 'services')))
    .replaceAll("'/app/services/'", JSON.stringify(`${join(root, 'services')}/`))
    // The files go to the image's user (uid 1000), which only root may do.
    .replaceAll('fs.chownSync(file, 1000, 1000);', process.getuid?.() === 0 ? '$&' : '');
  mkdirSync(dir, { recursive: true });
  execFileSync(process.execPath, ['-e', script], { stdio: 'pipe' });
}

/** Writes each key of a Secret's stringData as a file in `dir`, as a secret volume would. */
export function writeSecretFiles(secret: Yaml, dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [key, value] of Object.entries(secret.stringData as Record<string, string>))
    writeFileSync(join(dir, key), value);
}

/** AUTH_SERVICE_CREDENTIALS's format: name=secret pairs, comma-separated. */
export function credentialTable(text: string): Map<string, string> {
  return new Map(
    text.split(',').map((pair): [string, string] => {
      const at = pair.indexOf('=');
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** The path of a command on PATH, or undefined. */
export function which(command: string): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}
