import {
  type NotificationRow,
  type Position,
  publishedSince,
  type Recipient,
} from '../data/notifications.ts';
import type { NotificationsDeps } from '../domain/deps.ts';
import { type DrainLoop, startDrainLoop } from './drain-loop.ts';

const SCAN_LIMIT = 500;

/** One open stream: it gets each of its recipient's notifications after `floor`, once. */
export interface LiveSubscriber {
  readonly recipient: Recipient;
  /** Nothing at or before this position is sent live (replay covers what came before). */
  readonly floor: Position;
  /** False while the stream replays what it missed; live scans skip it meanwhile. */
  ready: boolean;
  deliver(row: NotificationRow): void;
}

interface SubscriberState {
  subscriber: LiveSubscriber;
  /** Ids already sent, with their created_at: scans overlap by the lookback window. */
  seen: Map<string, number>;
}

const keyOf = (recipient: Recipient) =>
  `${encodeURIComponent(recipient.tenantId)}:${encodeURIComponent(recipient.userId)}`;

function after(row: NotificationRow, floor: Position): boolean {
  const created = row.created_at!.getTime();
  const floorMs = floor.createdAt.getTime();
  return created > floorMs || (created === floorMs && row.id > floor.id);
}

/**
 * Pushes newly published notifications to the streams open on this instance. Every instance
 * LISTENs on the database's "published" channel (NOTIFY is sent in the publishing transaction,
 * so it arrives after commit, on every instance sharing the database), then reads what was
 * published since its last scan for the recipients it has streams for: one query per wake-up,
 * whatever the number of streams. The read starts `lookbackMs` before the newest row seen, as a
 * transaction that took its timestamp earlier may commit later; ids already sent are skipped.
 */
export class LiveFanout {
  readonly #deps: NotificationsDeps;
  readonly #lookbackMs: number;
  readonly #streams = new Map<string, Set<SubscriberState>>();
  readonly #loop: DrainLoop;
  #highWater: number | undefined;

  constructor(deps: NotificationsDeps, options: { pollMs: number; lookbackMs: number }) {
    this.#deps = deps;
    this.#lookbackMs = options.lookbackMs;
    this.#loop = startDrainLoop({
      name: 'live-fanout',
      pollMs: options.pollMs,
      log: deps.log,
      round: () => this.#scan(),
    });
  }

  get streams(): number {
    let count = 0;
    for (const set of this.#streams.values()) count += set.size;
    return count;
  }

  /** Registers a stream; answers the function that removes it. */
  subscribe(subscriber: LiveSubscriber): { offer(row: NotificationRow): void; remove(): void } {
    const key = keyOf(subscriber.recipient);
    const state: SubscriberState = { subscriber, seen: new Map() };
    let set = this.#streams.get(key);
    if (!set) {
      set = new Set();
      this.#streams.set(key, set);
    }
    set.add(state);
    return {
      offer: (row) => this.#offer(state, row),
      remove: () => {
        const current = this.#streams.get(key);
        current?.delete(state);
        if (current?.size === 0) this.#streams.delete(key);
      },
    };
  }

  wake(): void {
    this.#loop.wake();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  #offer(state: SubscriberState, row: NotificationRow): void {
    if (!row.created_at || !after(row, state.subscriber.floor) || state.seen.has(row.id)) return;
    state.seen.set(row.id, row.created_at.getTime());
    state.subscriber.deliver(row);
  }

  async #scan(): Promise<boolean> {
    if (this.#streams.size === 0) {
      this.#highWater = undefined;
      return false;
    }
    const states = [...this.#streams.values()].flatMap((set) => [...set]);
    const recipients = [...this.#streams.values()].map(
      (set) => set.values().next().value!.subscriber.recipient,
    );
    // The first scan for a set of streams starts at the oldest floor they need.
    const start =
      this.#highWater ?? Math.min(...states.map((s) => s.subscriber.floor.createdAt.getTime()));
    const since = start - this.#lookbackMs;
    const rows = await publishedSince(
      this.#deps.database.db,
      recipients,
      new Date(since),
      SCAN_LIMIT,
    );
    for (const row of rows) {
      const set = this.#streams.get(keyOf({ tenantId: row.tenant_id, userId: row.user_id }));
      if (!set) continue;
      for (const state of set) if (state.subscriber.ready) this.#offer(state, row);
    }
    const newest = rows.at(-1)?.created_at?.getTime();
    this.#highWater = Math.max(start, newest ?? start);
    // Ids older than the next window can never come back: forget them.
    const horizon = this.#highWater - this.#lookbackMs;
    for (const state of states)
      for (const [id, createdAt] of state.seen) if (createdAt < horizon) state.seen.delete(id);
    return false;
  }
}
