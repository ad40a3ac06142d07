/**
 * A FIFO lock with a bounded wait. The embedded database has a single connection, so a
 * query issued outside an open transaction by the same request would wait forever; the
 * bound turns that deadlock into a clear error.
 */
export class Mutex {
  #locked = false;
  #waiters: Array<{ grant: () => void; timer: NodeJS.Timeout | undefined }> = [];

  /** Held now (for metrics). */
  get held(): boolean {
    return this.#locked;
  }

  /** Callers queued for the lock (for metrics). */
  get waiting(): number {
    return this.#waiters.length;
  }

  acquire(timeoutMs: number, describe: () => string): Promise<() => void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          if (waiter.timer) clearTimeout(waiter.timer);
          resolve(this.#releaser());
        },
        timer: undefined as NodeJS.Timeout | undefined,
      };
      if (timeoutMs > 0) {
        waiter.timer = setTimeout(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(new Error(describe()));
        }, timeoutMs);
        waiter.timer.unref();
      }
      this.#waiters.push(waiter);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next.grant();
      else this.#locked = false;
    };
  }
}
