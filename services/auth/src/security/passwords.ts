import { argon2, randomBytes, timingSafeEqual } from 'node:crypto';

export interface Argon2Params {
  memoryKib: number;
  passes: number;
  parallelism: number;
}

const VERSION = 19;
const SALT_BYTES = 16;
const TAG_BYTES = 32;
const PHC = /^\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function derive(password: string, salt: Buffer, params: Argon2Params, tagLength: number) {
  return new Promise<Buffer>((resolve, reject) => {
    argon2(
      'argon2id',
      {
        message: password,
        nonce: salt,
        memory: params.memoryKib,
        passes: params.passes,
        parallelism: params.parallelism,
        tagLength,
      },
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
}

const b64 = (buffer: Buffer) => buffer.toString('base64').replace(/=+$/, '');

interface Parsed {
  params: Argon2Params;
  salt: Buffer;
  hash: Buffer;
}

function parse(phc: string): Parsed | undefined {
  const match = PHC.exec(phc);
  if (!match || Number(match[1]) !== VERSION) return undefined;
  return {
    params: {
      memoryKib: Number(match[2]),
      passes: Number(match[3]),
      parallelism: Number(match[4]),
    },
    salt: Buffer.from(match[5]!, 'base64'),
    hash: Buffer.from(match[6]!, 'base64'),
  };
}

/**
 * argon2id hashes as PHC strings (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`): each records
 * its own parameters, so they can be raised later and old hashes still verify (and are
 * rehashed at the next login, see `needsRehash`).
 */
export class PasswordHasher {
  readonly params: Argon2Params;
  #dummy: Promise<string> | undefined;

  constructor(params: Argon2Params) {
    this.params = params;
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await derive(password, salt, this.params, TAG_BYTES);
    const { memoryKib, passes, parallelism } = this.params;
    return `$argon2id$v=${VERSION}$m=${memoryKib},t=${passes},p=${parallelism}$${b64(salt)}$${b64(key)}`;
  }

  async verify(phc: string, password: string): Promise<boolean> {
    const parsed = parse(phc);
    if (!parsed) return false;
    const key = await derive(password, parsed.salt, parsed.params, parsed.hash.length);
    return timingSafeEqual(key, parsed.hash);
  }

  /**
   * Verifies against a hash of nothing anyone knows, at the current parameters: an unknown
   * email then costs the same time as a wrong password, so timing does not reveal accounts.
   */
  async verifyDummy(password: string): Promise<false> {
    await this.verify(await this.#dummyHash(), password);
    return false;
  }

  /** Made at start, so the first unknown email does not pay for it (and stand out by taking longer). */
  async prepare(): Promise<void> {
    await this.#dummyHash();
  }

  #dummyHash(): Promise<string> {
    this.#dummy ??= this.hash(randomBytes(32).toString('base64'));
    return this.#dummy;
  }

  needsRehash(phc: string): boolean {
    const parsed = parse(phc);
    if (!parsed) return true;
    const { params } = parsed;
    return (
      params.memoryKib < this.params.memoryKib ||
      params.passes < this.params.passes ||
      params.parallelism !== this.params.parallelism
    );
  }
}
