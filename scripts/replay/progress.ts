import type { ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';

/** Where progress goes (stderr): a terminal gets a redrawn bar, anything else plain lines. */
export interface ProgressSink {
  write(text: string): void;
  isTTY: boolean;
}

const WIDTH = 30;

export class ProgressBar {
  readonly #sink: ProgressSink;
  readonly #label: string;
  readonly #intervalMs: number;
  #lastLine = 0;
  #drawn = false;

  constructor(sink: ProgressSink, label: string, intervalMs: number) {
    this.#sink = sink;
    this.#label = label;
    this.#intervalMs = intervalMs;
  }

  update(done: number, total: number, detail: string, force = false): void {
    const ratio = total === 0 ? 1 : Math.min(1, done / total);
    const text = `${this.#label} ${Math.floor(ratio * 100)}% ${done}/${total} ${detail}`;
    if (this.#sink.isTTY) {
      const filled = Math.round(ratio * WIDTH);
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}]`;
      this.#sink.write(`\r${bar} ${text}\x1b[K`);
      this.#drawn = true;
      return;
    }
    // A log collector would drown in a line per poll.
    const now = Date.now();
    if (!force && now - this.#lastLine < this.#intervalMs) return;
    this.#lastLine = now;
    this.#sink.write(`${text}\n`);
  }

  /** Ends the bar's line, so whatever is printed next starts on its own. */
  finish(): void {
    if (this.#drawn) this.#sink.write('\n');
    this.#drawn = false;
  }

  note(text: string): void {
    this.finish();
    this.#sink.write(`${text}\n`);
  }
}

export interface WatchOptions {
  stream: string;
  group: string;
  /** The stream's last sequence when the group was repositioned. */
  targetSeq: number;
  sink: ProgressSink;
  pollMs?: number;
  progressIntervalMs: number;
  /** 0: no limit. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface WatchResult {
  caughtUp: boolean;
  /** Events the group acknowledged since it was repositioned (live ones included). */
  acknowledged: number;
  remaining: number;
  durationMs: number;
}

// Past the ~45 s a running instance takes to notice a re-created consumer.
const STALL_HINT_MS = 60_000;

/**
 * Follows the group's durable consumer until it has acknowledged everything up to `targetSeq`
 * (or has nothing left), from its `num_pending` (not yet delivered) and `num_ack_pending`
 * (delivered, not yet acknowledged). Live events published meanwhile grow the total.
 */
export async function watchCatchUp(
  jsm: JetStreamManager,
  options: WatchOptions,
): Promise<WatchResult> {
  const { stream, group, sink } = options;
  const pollMs = options.pollMs ?? 500;
  const bar = new ProgressBar(sink, `replay ${group}`, options.progressIntervalMs);
  const started = Date.now();
  let total = -1;
  let done = 0;
  let remaining = 0;
  let lastProgress = started;
  /** The rate counts from the first acknowledgement, not from the wait before it. */
  let firstProgress: number | undefined;
  let hinted = false;
  let failures = 0;
  for (;;) {
    let info: ConsumerInfo;
    try {
      info = await jsm.consumers.info(stream, group);
      failures = 0;
    } catch (error) {
      // A broker restart or a lost consumer: say so, and keep watching for a while.
      if (++failures === 1) bar.note(`cannot read consumer ${group}: ${(error as Error).message}`);
      if (failures > 20) throw error;
      if (await pause(pollMs * 2, options.signal)) break;
      continue;
    }
    remaining = info.num_pending + info.num_ack_pending;
    if (total < 0) total = remaining;
    const nowDone = Math.max(done, total - remaining);
    if (nowDone > done) {
      lastProgress = Date.now();
      firstProgress ??= lastProgress;
    }
    done = nowDone;
    if (done + remaining > total) total = done + remaining;
    const caughtUp = remaining === 0 || info.ack_floor.stream_seq >= options.targetSeq;
    const elapsedS = Math.max(0.001, (Date.now() - (firstProgress ?? Date.now())) / 1000);
    bar.update(
      caughtUp ? total : done,
      total,
      `(${Math.round(done / elapsedS)}/s, pending ${info.num_pending}, unacked ${info.num_ack_pending})`,
      caughtUp,
    );
    if (caughtUp) {
      bar.finish();
      return { caughtUp, acknowledged: total, remaining: 0, durationMs: Date.now() - started };
    }
    if (!hinted && info.num_waiting === 0 && Date.now() - lastProgress > STALL_HINT_MS) {
      hinted = true;
      bar.note(
        `no progress for ${STALL_HINT_MS / 1000} s and no instance is pulling: is a service instance of group ${group} running? It continues from the new position whenever it starts.`,
      );
    }
    if (options.timeoutMs > 0 && Date.now() - started >= options.timeoutMs) break;
    if (await pause(pollMs, options.signal)) break;
  }
  bar.finish();
  return { caughtUp: false, acknowledged: done, remaining, durationMs: Date.now() - started };
}

/** Resolves true when aborted. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
