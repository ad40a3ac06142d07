/** Where progress goes (stderr): a terminal gets a redrawn bar, anything else plain lines. */
export interface ProgressSink {
  write(text: string): void;
  isTTY: boolean;
}

const WIDTH = 30;

/** A progress bar on a terminal; on a pipe or a log, one plain line every `intervalMs`. */
export class ProgressBar {
  readonly #sink: ProgressSink;
  readonly #label: string;
  readonly #intervalMs: number;
  readonly #started = Date.now();
  #lastLine = 0;
  #drawn = false;

  constructor(sink: ProgressSink, label: string, intervalMs = 2_000) {
    this.#sink = sink;
    this.#label = label;
    this.#intervalMs = intervalMs;
  }

  update(done: number, total: number, force = false): void {
    const ratio = total === 0 ? 1 : Math.min(1, done / total);
    const seconds = Math.max(0.001, (Date.now() - this.#started) / 1000);
    const text = `${this.#label} ${Math.floor(ratio * 100)}% ${done}/${total} events (${Math.round(done / seconds)}/s)`;
    if (this.#sink.isTTY) {
      const filled = Math.round(ratio * WIDTH);
      this.#sink.write(`\r[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${text}\x1b[K`);
      this.#drawn = true;
      return;
    }
    // A log collector would drown in a line per batch.
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
}

/** Progress nowhere (the exported function's default). */
export const silentSink: ProgressSink = { write: () => {}, isTTY: false };
