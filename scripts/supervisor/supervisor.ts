import { type ChildProcess, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { formatPrefix, pipeLines, type TextSink } from './line-prefixer.ts';

export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  /** The child's whole environment; nothing is inherited implicitly. */
  env: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface SupervisorOptions {
  /** First restart delay; each consecutive crash doubles it. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** A child that ran this long before exiting counts as healthy, so its backoff starts over. */
  stableAfterMs?: number;
  /** How long stop() waits after SIGTERM before it sends SIGKILL. */
  stopTimeoutMs?: number;
  stdout?: TextSink;
  stderr?: TextSink;
  colour?: boolean;
}

export interface SupervisorEvents {
  spawn: [name: string, pid: number | undefined];
  exit: [name: string, code: number | null, signal: NodeJS.Signals | null, requested: boolean];
  restart: [name: string, delayMs: number];
}

export interface StopResult {
  /** Services that ignored SIGTERM for the whole timeout and had to be SIGKILLed. */
  killed: string[];
}

interface Slot {
  spec: ServiceSpec;
  prefix: string;
  child: ChildProcess | undefined;
  exited: Promise<void>;
  startedAt: number;
  failures: number;
  timer: NodeJS.Timeout | undefined;
}

// SIGKILL cannot be caught, but a process stuck in uninterruptible I/O can still outlive it;
// shutdown must finish regardless.
const KILL_GRACE_MS = 5_000;

// A process-group leader lets stragglers be killed together with anything they spawned, and keeps
// the terminal's Ctrl-C from reaching children directly: they get exactly one SIGTERM, from us,
// rather than a SIGINT racing our SIGTERM (which many shutdown handlers read as "force quit").
const DETACHED = process.platform !== 'win32';

/** Runs a fixed set of processes, restarts the ones that crash and stops them all on request. */
export class Supervisor extends EventEmitter<SupervisorEvents> {
  readonly #slots: Slot[];
  readonly #backoffBaseMs: number;
  readonly #backoffCapMs: number;
  readonly #stableAfterMs: number;
  readonly #stopTimeoutMs: number;
  readonly #stdout: TextSink;
  readonly #stderr: TextSink;
  readonly #ownPrefix: string;
  #stopRequested = false;
  #stopping: Promise<StopResult> | undefined;

  constructor(specs: ServiceSpec[], options: SupervisorOptions = {}) {
    super();
    const names = new Set(specs.map((s) => s.name));
    if (names.size !== specs.length) throw new Error('Supervisor: service names must be unique');
    this.#backoffBaseMs = options.backoffBaseMs ?? 500;
    this.#backoffCapMs = options.backoffCapMs ?? 30_000;
    this.#stableAfterMs = options.stableAfterMs ?? 30_000;
    this.#stopTimeoutMs = options.stopTimeoutMs ?? 15_000;
    this.#stdout = options.stdout ?? process.stdout;
    this.#stderr = options.stderr ?? process.stderr;
    const colour = options.colour ?? false;
    const width = Math.max('supervisor'.length, ...specs.map((s) => s.name.length));
    this.#ownPrefix = formatPrefix('supervisor', width, -1, colour);
    this.#slots = specs.map((spec, i) => ({
      spec,
      prefix: formatPrefix(spec.name, width, i, colour),
      child: undefined,
      exited: Promise.resolve(),
      startedAt: 0,
      failures: 0,
      timer: undefined,
    }));
  }

  start(): void {
    for (const slot of this.#slots) this.#spawn(slot);
  }

  log(message: string): void {
    this.#stdout.write(`${this.#ownPrefix}${message}\n`);
  }

  /** SIGTERM to every child, SIGKILL to those still running after the timeout. Idempotent. */
  stop(): Promise<StopResult> {
    this.#stopRequested = true;
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  /** SIGKILL every child now; safe to call from a process 'exit' handler (synchronous). */
  kill(): void {
    this.#stopRequested = true;
    for (const slot of this.#slots) {
      clearTimeout(slot.timer);
      slot.timer = undefined;
      if (slot.child) killHard(slot.child);
    }
  }

  async #shutdown(): Promise<StopResult> {
    for (const slot of this.#slots) {
      clearTimeout(slot.timer);
      slot.timer = undefined;
    }
    const running = this.#slots.filter((s) => s.child);
    for (const slot of running) slot.child?.kill('SIGTERM');
    await settleWithin(Promise.all(running.map((s) => s.exited)), this.#stopTimeoutMs);

    const stragglers = running.filter((s) => s.child);
    for (const slot of stragglers) {
      this.log(`${slot.spec.name} did not stop within ${this.#stopTimeoutMs} ms; sending SIGKILL`);
      if (slot.child) killHard(slot.child);
    }
    await settleWithin(Promise.all(stragglers.map((s) => s.exited)), KILL_GRACE_MS);
    return { killed: stragglers.map((s) => s.spec.name) };
  }

  #spawn(slot: Slot): void {
    slot.timer = undefined;
    if (this.#stopRequested) return;
    const { spec } = slot;
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: DETACHED,
    });
    let markExited = () => {};
    slot.exited = new Promise((resolve) => {
      markExited = resolve;
    });
    slot.child = child;
    slot.startedAt = Date.now();
    pipeLines(child.stdout!, slot.prefix, this.#stdout);
    pipeLines(child.stderr!, slot.prefix, this.#stderr);

    let gone = false;
    const onGone = (code: number | null, signal: NodeJS.Signals | null) => {
      if (gone) return;
      gone = true;
      slot.child = undefined;
      markExited();
      this.emit('exit', spec.name, code, signal, this.#stopRequested);
      if (this.#stopRequested) {
        this.log(`${spec.name} exited with code ${code} (signal ${signal})`);
        return;
      }
      this.#scheduleRestart(slot, code, signal);
    };
    child.once('exit', onGone);
    child.on('error', (error) => {
      this.log(`${spec.name}: ${error.message}`);
      // Without a pid the process never started and no 'exit' will follow.
      if (child.pid === undefined) onGone(null, null);
    });
    this.emit('spawn', spec.name, child.pid);
  }

  #scheduleRestart(slot: Slot, code: number | null, signal: NodeJS.Signals | null): void {
    if (Date.now() - slot.startedAt >= this.#stableAfterMs) slot.failures = 0;
    const delay = Math.min(this.#backoffCapMs, this.#backoffBaseMs * 2 ** slot.failures);
    // Past the cap the exponent no longer matters; stopping here keeps 2 ** n finite.
    if (delay < this.#backoffCapMs) slot.failures++;
    this.log(
      `${slot.spec.name} exited with code ${code} (signal ${signal}); restarting in ${delay} ms`,
    );
    slot.timer = setTimeout(() => this.#spawn(slot), delay);
    this.emit('restart', slot.spec.name, delay);
  }
}

function killHard(child: ChildProcess): void {
  if (DETACHED && child.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGKILL');
      return;
    } catch {
      // The group is already gone or was never ours; fall back to the process itself.
    }
  }
  child.kill('SIGKILL');
}

async function settleWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([work, timeout]);
  clearTimeout(timer);
}
