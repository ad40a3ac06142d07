import pg from 'pg';
import { quoteIdent } from '../db/names.ts';
import type { PGliteHost } from '../db/pglite-host.ts';

/**
 * Subscribes `onNotify` to a Postgres NOTIFY channel; resolves with the function that stops.
 * The `Database` port hides its connections, and LISTEN needs one that stays open, so the
 * relay takes this as an option: `postgresListen` or `pgliteListen`.
 */
export type Listen = (channel: string, onNotify: () => void) => Promise<() => Promise<void>>;

export interface PostgresListenOptions {
  /** Told when the connection fails; it is reopened after a delay (0.5 s doubling to 30 s). */
  onError?: (error: unknown) => void;
}

/**
 * LISTEN on a dedicated `pg.Client` to the service's database (`connectionString`). A lost
 * connection is reopened in the background; `onNotify` then runs once, as notifications sent
 * while it was down are gone (the relay's polling would find those rows anyway).
 */
export function postgresListen(
  connectionString: string,
  options: PostgresListenOptions = {},
): Listen {
  return async (channel, onNotify) => {
    let client: pg.Client | undefined;
    let closed = false;
    let delayMs = 500;
    let retry: NodeJS.Timeout | undefined;

    const reopen = (error: unknown) => {
      if (closed || retry) return;
      options.onError?.(error);
      const lost = client;
      client = undefined;
      lost?.end().catch(() => {});
      retry = setTimeout(() => {
        retry = undefined;
        void open();
      }, delayMs);
      retry.unref();
      delayMs = Math.min(delayMs * 2, 30_000);
    };

    const open = async (): Promise<void> => {
      const next = new pg.Client({ connectionString, application_name: 'lattice-outbox-listen' });
      next.on('notification', (message) => {
        if (message.channel === channel) onNotify();
      });
      next.on('error', reopen);
      next.on('end', () => {
        if (client === next) reopen(new Error('LISTEN connection ended'));
      });
      try {
        await next.connect();
        await next.query(`LISTEN ${quoteIdent(channel)}`);
      } catch (error) {
        next.end().catch(() => {});
        reopen(error);
        return;
      }
      if (closed) {
        await next.end().catch(() => {});
        return;
      }
      client = next;
      delayMs = 500;
      onNotify();
    };

    // The first attempt is awaited so a relay started right after is already listening;
    // if it fails, polling covers the gap until a retry succeeds.
    await open();
    return async () => {
      closed = true;
      if (retry) clearTimeout(retry);
      const last = client;
      client = undefined;
      await last?.end().catch(() => {});
    };
  };
}

/**
 * LISTEN on the shared embedded PGlite. LISTEN is per session and PGlite has one, shared by
 * every service, so it is issued holding the host's connection (`withAdmin`), never in the
 * middle of another service's transaction (where a rollback would undo it).
 */
export function pgliteListen(host: PGliteHost): Listen {
  return async (channel, onNotify) => {
    const stop = await host.withAdmin(() => host.pg.listen(channel, () => onNotify()));
    return async () => {
      if (host.closed) return;
      await host
        .withAdmin(() => stop())
        .catch((error) => {
          if (!host.closed) throw error;
        });
    };
  };
}
