import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Local distributed runs need the auth service's signing key, which production supplies as a
 * secret. Unless one is configured, a development key is generated once under DATA_DIR and
 * handed to every process as JWT_PRIVATE_KEY_FILE, so tokens stay valid across restarts.
 */
export function ensureDevSigningKey(rootDir: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env.JWT_PRIVATE_KEY || env.JWT_PRIVATE_KEY_FILE) return env;
  const file = resolve(rootDir, env.DATA_DIR || '.data', 'distributed', 'jwt-ed25519.pem');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  }
  return { ...env, JWT_PRIVATE_KEY_FILE: file };
}
