import { after, before } from 'node:test';
import type { ServiceInstance } from '@lattice/platform';
import { buildTestService, type DatabaseKind, needs } from '@lattice/platform/testing';
import { service } from '../../src/app.ts';
import type { SandboxConfigProperties } from '../../src/config.ts';

export const API_KEY = 'sk_test_harness_key';

export const databases: Array<{ kind: DatabaseKind; skip: string | false }> = [
  { kind: 'pglite', skip: false },
  { kind: 'postgres', skip: needs('postgres') },
];

export type Sandbox = ServiceInstance<SandboxConfigProperties>;

/** One sandbox per database for a describe block; tests use fresh idempotency keys. */
export function sharedSandbox(kind: DatabaseKind, env: Record<string, string> = {}): () => Sandbox {
  const cleanups: Array<() => unknown> = [];
  let instance: Sandbox | undefined;
  before(async () => {
    const collector = { after: (fn: unknown) => void cleanups.push(fn as () => unknown) };
    instance = await buildTestService(collector as never, service, {
      db: kind,
      env: {
        PAYMENT_SANDBOX_API_KEY: API_KEY,
        PAYMENT_SANDBOX_SLOW_MS: '300',
        ...env,
      },
    });
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return () => {
    if (!instance) throw new Error('the sandbox is not built yet');
    return instance;
  };
}

export async function call(
  sandbox: Sandbox,
  method: 'GET' | 'POST',
  url: string,
  options: { payload?: object; key?: string; apiKey?: string | null } = {},
) {
  const apiKey = options.apiKey === undefined ? API_KEY : options.apiKey;
  return sandbox.app.inject({
    method,
    url,
    headers: {
      ...(apiKey === null ? {} : { authorization: `Bearer ${apiKey}` }),
      ...(options.key ? { 'idempotency-key': options.key } : {}),
    },
    ...(options.payload ? { payload: options.payload } : {}),
  });
}
