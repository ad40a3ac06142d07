import type { Readable } from 'node:stream';
import { PlatformErrors } from '@lattice/platform';

/**
 * A request body as the attempts see it. Each attempt gets a fresh `source()`, which undici
 * only starts reading once it has a connection and has written the head: so an attempt that
 * failed to connect leaves the body untouched and a retry may send it, while one that read a
 * single byte makes `started` true and the body can never be sent again.
 *
 * Bodies stream through unparsed, so Fastify's body limit does not apply; the limit is
 * enforced here while bytes flow, and on any early end the rest of the body is read and
 * dropped (bounded by the server's request timeout): left unread, the paused socket could not
 * carry the 413 or another request, and graceful shutdown would hang on it.
 */
export class RequestBody {
  started = false;
  /** Why reading failed (413, the client went away): the answer, rather than the upstream's. */
  error: unknown;
  readonly #incoming: Readable;
  readonly #limit: number;

  constructor(incoming: Readable, limit: number) {
    this.#incoming = incoming;
    this.#limit = limit;
  }

  source(): AsyncGenerator<Buffer> {
    return this.#read();
  }

  /**
   * The whole body when every byte of it has already arrived (`declared`, the content length,
   * is buffered): a small body usually comes in the same packets as the head. Sent as one
   * buffer, undici writes head and body upstream in one system call instead of two. Undefined
   * while bytes are still to come: then it streams.
   */
  takeIfArrived(declared: number): Buffer | undefined {
    const incoming = this.#incoming;
    if (declared <= 0 || declared > this.#limit || incoming.readableLength !== declared)
      return undefined;
    const whole = incoming.read(declared) as Buffer | null;
    if (whole === null || whole.length !== declared) return undefined;
    // Lets the end of the message flow, so the socket can carry the next request.
    incoming.resume();
    return whole;
  }

  async *#read(): AsyncGenerator<Buffer> {
    this.started = true;
    const incoming = this.#incoming;
    let seen = 0;
    try {
      for await (const chunk of incoming.iterator({ destroyOnReturn: false })) {
        seen += (chunk as Buffer).length;
        if (seen > this.#limit)
          throw PlatformErrors.payloadTooLarge(`Request body exceeds ${this.#limit} bytes`);
        yield chunk as Buffer;
      }
    } catch (error) {
      this.error ??= error;
      throw error;
    } finally {
      if (!incoming.readableEnded && !incoming.destroyed) incoming.resume();
    }
  }
}
