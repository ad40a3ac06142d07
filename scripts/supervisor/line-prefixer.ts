import type { Readable } from 'node:stream';

/** Where prefixed text goes; `process.stdout` in real use, a collector in tests. */
export interface TextSink {
  write(text: string): unknown;
}

// A child that never writes a newline (a progress bar, a runaway dump) must not grow our memory
// without bound, so a partial line this long is emitted as if it had ended.
const MAX_PENDING_CHARS = 64 * 1024;

// Bright, distinguishable on both dark and light terminals; red is left for the supervisor.
const COLOUR_CODES = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94];
const SUPERVISOR_COLOUR = 91;

/** Cuts a chunked text stream into whole lines, holding a trailing partial line until it ends. */
export class LineBuffer {
  #pending = '';

  push(chunk: string): string[] {
    const parts = (this.#pending + chunk).split('\n');
    this.#pending = parts.pop() ?? '';
    if (this.#pending.length >= MAX_PENDING_CHARS) {
      parts.push(this.#pending);
      this.#pending = '';
    }
    return parts.map(stripCarriageReturn);
  }

  /** The unterminated remainder, once the stream has ended. */
  flush(): string[] {
    const rest = this.#pending;
    this.#pending = '';
    return rest === '' ? [] : [stripCarriageReturn(rest)];
  }
}

function stripCarriageReturn(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * `[name]` padded to `width` characters of name, so that messages from every process start in
 * the same column; coloured per index when `colour` is set.
 */
export function formatPrefix(name: string, width: number, index: number, colour: boolean): string {
  const label = `[${name}]`.padEnd(width + 2);
  if (!colour) return `${label} `;
  const code = index < 0 ? SUPERVISOR_COLOUR : COLOUR_CODES[index % COLOUR_CODES.length];
  return `\x1b[${code}m${label}\x1b[0m `;
}

/** Copies `stream` to `sink` line by line, each line behind `prefix`. */
export function pipeLines(stream: Readable, prefix: string, sink: TextSink): void {
  const lines = new LineBuffer();
  // Decoding in the stream keeps a multi-byte character split across chunks intact.
  stream.setEncoding('utf8');
  // One write per chunk keeps lines from different children from interleaving mid-line.
  const emit = (batch: string[]) => {
    if (batch.length > 0) sink.write(batch.map((line) => `${prefix}${line}\n`).join(''));
  };
  stream.on('data', (chunk: string) => emit(lines.push(chunk)));
  stream.on('end', () => emit(lines.flush()));
}
