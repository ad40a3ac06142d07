import { randomFillSync } from 'node:crypto';

// One call into the CSPRNG per 4 KiB of ids instead of one per id: each call is a trip into
// OpenSSL (and, on some virtual machines, the kernel) that cost more than the rest of a request
// id's work; node's own randomUUID pools the same way.
const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let offset = POOL_BYTES;
// The pool as hex, made on the first hex id after a refill: one conversion per 4 KiB, then
// each id is a substring, which costs far less than converting its bytes on its own.
let poolHex: string | undefined;

function take(bytes: number): number {
  if (bytes > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} random bytes at a time`);
  if (offset + bytes > POOL_BYTES) {
    randomFillSync(pool);
    poolHex = undefined;
    offset = 0;
  }
  const start = offset;
  offset += bytes;
  return start;
}

/** `bytes` random bytes (from the CSPRNG) as lowercase hex. */
export function randomHex(bytes: number): string {
  const start = take(bytes);
  poolHex ??= pool.toString('hex');
  return poolHex.slice(start * 2, (start + bytes) * 2);
}

/** `bytes` random bytes (from the CSPRNG) as base64url. */
export function randomBase64url(bytes: number): string {
  const start = take(bytes);
  return pool.toString('base64url', start, start + bytes);
}

/** `bytes` random bytes (from the CSPRNG) in a new buffer of their own. */
export function randomBuffer(bytes: number): Buffer {
  const start = take(bytes);
  return Buffer.from(pool.subarray(start, start + bytes));
}
