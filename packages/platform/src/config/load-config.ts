import { readFileSync } from 'node:fs';
import { type Static, type TObject, type TProperties, type TSchema, Type } from 'typebox';
import { Value } from 'typebox/value';

/**
 * Configuration comes from environment variables, validated once at start against one schema
 * per service. Every key has a description and a default, so `npm start` needs no setup.
 * A secret `X` may instead come from the file named in `X_FILE` (Docker and Kubernetes
 * secrets); secrets are marked `secret: true` and never appear in logs or errors.
 */
export class ConfigError extends Error {
  readonly problems: ReadonlyArray<{ key: string; message: string }>;

  constructor(service: string, problems: ReadonlyArray<{ key: string; message: string }>) {
    const lines = problems.map((p) => `  - ${p.key}: ${p.message}`).join('\n');
    super(`Invalid configuration for ${service}:\n${lines}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type Env = Record<string, string | undefined>;

interface KeyOptions {
  secret?: boolean;
}

/** Marks a config key as secret: it may come from `<KEY>_FILE` and is never logged. */
export function secret<T extends TSchema>(schema: T): T {
  return { ...schema, secret: true } as T;
}

function isSecret(schema: TSchema): boolean {
  return (schema as KeyOptions).secret === true;
}

function readSecretFile(key: string, path: string): string {
  try {
    // Files written by editors and `echo` end with a newline that is not part of the secret.
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new Error(
      `${key}_FILE points to ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code})`,
    );
  }
}

function describeProblem(schema: TSchema, firstMessage: string): string {
  const anyOf = (schema as { anyOf?: Array<{ const?: unknown }> }).anyOf;
  if (anyOf?.every((member) => member.const !== undefined)) {
    return `must be one of ${anyOf.map((m) => String(m.const)).join(', ')}`;
  }
  return firstMessage;
}

/** Raw string values for the schema's keys, with `_FILE` secrets resolved. */
function collectRawValues(
  properties: TProperties,
  env: Env,
  problems: { key: string; message: string }[],
) {
  const raw: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(properties)) {
    const fileKey = `${key}_FILE`;
    if (env[fileKey] !== undefined && env[fileKey] !== '') {
      if (!isSecret(schema)) {
        problems.push({
          key: fileKey,
          message: `${key} is not a secret and cannot be read from a file`,
        });
        continue;
      }
      if (env[key] !== undefined && env[key] !== '') {
        problems.push({ key, message: `set either ${key} or ${fileKey}, not both` });
        continue;
      }
      try {
        raw[key] = readSecretFile(key, env[fileKey] as string);
      } catch (error) {
        problems.push({
          key: fileKey,
          message: (error as Error).message.replace(`${key}_FILE `, ''),
        });
      }
      continue;
    }
    const value = env[key];
    // An empty variable means "not set": `FOO= npm start` should fall back to the default.
    if (value !== undefined && value !== '') raw[key] = value;
  }
  return raw;
}

export function loadConfig<P extends TProperties>(
  service: string,
  schema: TObject<P>,
  env: Env = process.env,
): Static<TObject<P>> {
  const problems: { key: string; message: string }[] = [];
  const raw = collectRawValues(schema.properties, env, problems);
  // On a copy: Default and Convert change their argument, and `raw` is what errors quote.
  const withDefaults = Value.Default(schema, { ...raw });
  const converted = Value.Convert(schema, withDefaults) as Record<string, unknown>;

  // Key by key: TypeBox stops listing errors after a few (a union counts one per member), and
  // one bad key must not hide the next.
  const required = new Set<string>((schema as TObject).required ?? []);
  for (const [key, keySchema] of Object.entries(schema.properties as TProperties)) {
    if (problems.some((p) => p.key === key || p.key === `${key}_FILE`)) continue;
    const value = converted[key];
    if (value === undefined) {
      if (required.has(key)) problems.push({ key, message: 'is required' });
      continue;
    }
    const shown = isSecret(keySchema) ? '(secret)' : JSON.stringify(raw[key]);
    // Value.Convert truncates "2.5" to 2 for an integer; a config value is never reshaped.
    if (typeof value === 'number' && typeof raw[key] === 'string' && Number(raw[key]) !== value) {
      problems.push({
        key,
        message: `must be ${(keySchema as { type?: string }).type}, got ${shown}`,
      });
      continue;
    }
    const [error] = Value.Errors(keySchema, value);
    if (error)
      problems.push({ key, message: `${describeProblem(keySchema, error.message)}, got ${shown}` });
  }
  if (problems.length > 0) throw new ConfigError(service, problems);
  return converted as Static<TObject<P>>;
}

/** Names of the secret keys of a schema: used to keep them out of logs. */
export function secretKeys(schema: TObject): string[] {
  return Object.entries(schema.properties)
    .filter(([, keySchema]) => isSecret(keySchema))
    .map(([key]) => key);
}

/** Merges the platform's base keys with a service's own keys into one schema. */
export function extendConfig<A extends TProperties, B extends TProperties>(
  base: TObject<A>,
  extra: TObject<B>,
) {
  return Type.Object({ ...base.properties, ...extra.properties } as A & B);
}
