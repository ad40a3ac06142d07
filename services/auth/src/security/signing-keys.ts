import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from '@lattice/platform';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JWK;
}

export interface KeyRing {
  /** The newest key: the one that signs. */
  signing: SigningKey;
  /** Every configured key, published so tokens signed before a rotation still verify. */
  keys: SigningKey[];
}

const PEM_BLOCK = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/g;
const KEY_FILE = ['auth', 'jwt-ed25519.pem'];

function invalid(message: string): ConfigError {
  return new ConfigError('auth', [{ key: 'JWT_PRIVATE_KEY', message }]);
}

async function toSigningKey(privateKey: KeyObject): Promise<SigningKey> {
  const jwk = await exportJWK(createPublicKey(privateKey));
  // RFC 7638 thumbprint: the same key gets the same kid on every instance and every restart.
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, publicJwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' } };
}

/** PEM PKCS8 Ed25519 keys, oldest first; messages never quote key material. */
export async function parseKeyRing(pem: string): Promise<KeyRing> {
  // Orchestrators often pass multi-line values with literal \n.
  const blocks = pem.replace(/\\n/g, '\n').match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) throw invalid('expected one or more PEM PKCS8 private keys');
  const keys: SigningKey[] = [];
  for (const [index, block] of blocks.entries()) {
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: block, format: 'pem' });
    } catch {
      throw invalid(`key ${index + 1} is not a readable PKCS8 private key`);
    }
    if (key.asymmetricKeyType !== 'ed25519')
      throw invalid(`key ${index + 1} is ${key.asymmetricKeyType}; only Ed25519 keys are accepted`);
    keys.push(await toSigningKey(key));
  }
  return { signing: keys.at(-1)!, keys };
}

export function generatePrivateKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/**
 * Embedded mode without a configured key: one is generated at first start and kept under
 * DATA_DIR, readable by the owner only, so tokens survive restarts.
 */
function embeddedKeyPem(dataDir: string): { pem: string; file: string; created: boolean } {
  const file = resolve(dataDir, ...KEY_FILE);
  try {
    return { pem: readFileSync(file, 'utf8'), file, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const pem = generatePrivateKeyPem();
  try {
    // wx: if another instance wrote it first, use theirs rather than overwrite it.
    writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
    return { pem, file, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { pem: readFileSync(file, 'utf8'), file, created: false };
  }
}

export interface KeySource {
  JWT_PRIVATE_KEY: string;
  LATTICE_MODE: 'embedded' | 'distributed';
  DATA_DIR: string;
}

export async function loadKeyRing(
  config: KeySource,
  log: { info(obj: object, msg: string): void },
): Promise<KeyRing> {
  if (config.JWT_PRIVATE_KEY) return parseKeyRing(config.JWT_PRIVATE_KEY);
  if (config.LATTICE_MODE !== 'embedded') {
    throw invalid(
      'is required in distributed mode (set JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE to an Ed25519 PEM PKCS8 key, e.g. from `openssl genpkey -algorithm ed25519`)',
    );
  }
  const { pem, file, created } = embeddedKeyPem(config.DATA_DIR);
  if (created) log.info({ file }, 'generated an Ed25519 signing key for access tokens');
  return parseKeyRing(pem);
}
