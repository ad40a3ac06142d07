import { Transform, type TransformCallback } from 'node:stream';
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
