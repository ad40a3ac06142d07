import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { PlatformErrors } from '@lattice/platform';

/**
 * Bodies stream through the gateway unparsed, so Fastify's body limit does not apply; this
 * enforces the same limit while the bytes flow, without buffering them.
 */
export class BodyLimit extends Transform {
  readonly #limit: number;
  #seen = 0;

  constructor(limit: number) {
    super();
    this.#limit = limit;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#limit) {
      callback(PlatformErrors.payloadTooLarge(`Request body exceeds ${this.#limit} bytes`));
      return;
    }
    callback(null, chunk);
  }
}

/**
 * The request body as it may be forwarded: at most `limit` bytes, else the stream errors with
 * 413. Not `pipeline`: on error it would destroy the request without its socket, leaving the
 * socket paused with the rest of the body unread, so the 413 answer could never be followed by
 * another request and the connection (and graceful shutdown) would hang. Here the rest of an
 * oversized body is read and discarded instead (bounded by the server's request timeout).
 */
export function limitBody(incoming: Readable, limit: number): Readable {
  const limited = new BodyLimit(limit);
  incoming.on('error', (error) => limited.destroy(error));
  limited.on('error', () => {
    incoming.unpipe(limited);
    incoming.resume();
  });
  return incoming.pipe(limited);
}
