import type { SubscribeOptions } from './event-bus.ts';
import { type BusObserver, DEFAULT_MAX_DELIVER, type RetryPolicy } from './observer.ts';
import { type Outcome, runDelivery } from './run-delivery.ts';
import type { Decoded } from './schema-guard.ts';
import { subjectFilter } from './subjects.ts';

export interface StoredMessage {
  seq: number;
  subject: string;
  payload: string | Uint8Array;
}

export interface Pending {
  message: StoredMessage;
  decoded: Decoded;
  /** CloudEvent subject (aggregate id): the ordering key; none for unparseable messages. */
  key: string | undefined;
  deliveries: number;
  notBefore: number;
  holder: Member | undefined;
  /** Bumped when a delivery is abandoned, so its late result is ignored. */
  token: number;
}

export interface Member {
  options: SubscribeOptions;
  concurrency: number;
  active: number;
  stopped: boolean;
  idle: Array<() => void>;
}

export interface GroupHost {
  retry: RetryPolicy;
  observer: BusObserver | undefined;
  decode(message: StoredMessage): Decoded;
  settle(group: string, pending: Pending, outcome: Outcome): void;
}

/**
 * One consumer group of the embedded bus: its own queue of every matching event, handed to one
 * member at a time (competing consumers). An event whose aggregate has an earlier event in
 * flight or waiting for a retry stays queued, which keeps per-subject order through retries.
 * The group outlives its members, like a durable consumer: events wait for the next member.
 */
export class EmbeddedGroup {
  readonly name: string;
  #patterns: string[];
  #matches: (subject: string) => boolean;
  maxDeliver = DEFAULT_MAX_DELIVER;
  readonly #host: GroupHost;
  readonly #pending = new Map<number, Pending>();
  #members: Member[] = [];
  #next = 0;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = Number.POSITIVE_INFINITY;
  #scheduled = false;

  constructor(name: string, patterns: string[], host: GroupHost) {
    this.name = name;
    this.#patterns = patterns;
    this.#matches = subjectFilter(patterns);
    this.#host = host;
  }

  get patterns(): string[] {
    return this.#patterns;
  }

  /** A member that subscribes again may bring other subjects. */
  set patterns(patterns: string[]) {
    this.#patterns = patterns;
    this.#matches = subjectFilter(patterns);
  }

  matches(subject: string): boolean {
    return this.#matches(subject);
  }

  enqueue(message: StoredMessage): void {
    const decoded = this.#host.decode(message);
    const key = decoded.ok ? decoded.event.subject : decoded.event?.subject;
    this.#pending.set(message.seq, {
      message,
      decoded,
      key,
      deliveries: 0,
      notBefore: 0,
      holder: undefined,
      token: 0,
    });
    this.#dispatch();
  }

  join(options: SubscribeOptions, concurrency: number): Member {
    if (options.maxDeliver !== undefined) this.maxDeliver = options.maxDeliver;
    const member: Member = { options, concurrency, active: 0, stopped: false, idle: [] };
    this.#members.push(member);
    this.#dispatch();
    return member;
  }

  /** Stops handing events to `member` and waits for its handlers in flight. */
  async drain(member: Member): Promise<void> {
    member.stopped = true;
    if (member.active > 0) await new Promise<void>((resolve) => member.idle.push(resolve));
    this.#members = this.#members.filter((m) => m !== member);
  }

  /** As if the member's process died: its events in flight go back to the queue, unacknowledged. */
  abandon(member: Member): void {
    member.stopped = true;
    this.#members = this.#members.filter((m) => m !== member);
    for (const pending of this.#pending.values()) {
      if (pending.holder !== member) continue;
      pending.holder = undefined;
      pending.token++;
      pending.notBefore = 0;
    }
    member.active = 0;
    for (const resolve of member.idle.splice(0)) resolve();
    this.#dispatch();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  /**
   * Hands out work on the next turn of the event loop, never inside the caller: a publisher
   * gets its promise back before any handler runs (as with a broker), and a burst of publishes
   * is dispatched in one pass.
   */
  #dispatch(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      for (const [pending, member] of this.#pick()) void this.#deliver(pending, member);
    });
  }

  #pick(): Array<[Pending, Member]> {
    let capacity = this.#members.reduce(
      (sum, m) => sum + (m.stopped ? 0 : Math.max(0, m.concurrency - m.active)),
      0,
    );
    if (capacity === 0) return [];
    const now = Date.now();
    const busy = new Set<string>();
    const starts: Array<[Pending, Member]> = [];
    let wake = Number.POSITIVE_INFINITY;
    for (const pending of this.#pending.values()) {
      const { key } = pending;
      if (key !== undefined && busy.has(key)) continue;
      if (key !== undefined) busy.add(key);
      if (pending.holder) continue;
      if (pending.notBefore > now) {
        wake = Math.min(wake, pending.notBefore);
        continue;
      }
      const member = this.#nextMember();
      if (!member) break;
      pending.holder = member;
      member.active++;
      starts.push([pending, member]);
      if (--capacity === 0) break;
    }
    if (wake < this.#timerAt) this.#wakeAt(wake);
    return starts;
  }

  #wakeAt(at: number): void {
    clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#dispatch();
      },
      Math.max(0, at - Date.now()),
    );
    // A pending retry must not keep a process alive that has nothing else to do.
    this.#timer.unref();
  }

  #nextMember(): Member | undefined {
    const count = this.#members.length;
    for (let i = 0; i < count; i++) {
      const member = this.#members[(this.#next + i) % count]!;
      if (!member.stopped && member.active < member.concurrency) {
        this.#next = (this.#next + i + 1) % count;
        return member;
      }
    }
    return undefined;
  }

  async #deliver(pending: Pending, member: Member): Promise<void> {
    pending.deliveries++;
    const token = pending.token;
    const context = {
      group: this.name,
      handler: member.options.handler,
      maxDeliver: this.maxDeliver,
      retry: this.#host.retry,
      observer: this.#host.observer,
    };
    let outcome: Outcome;
    try {
      outcome = await runDelivery(
        context,
        pending.message.subject,
        pending.decoded,
        pending.deliveries,
        () => {},
      );
    } catch {
      // Only an observer hook can throw here; retrying is the safe answer.
      outcome = { kind: 'retry', delayMs: this.#host.retry.baseMs };
    }
    if (pending.token !== token || pending.holder !== member) return;
    pending.holder = undefined;
    member.active--;
    if (outcome.kind === 'retry') {
      pending.notBefore = Date.now() + outcome.delayMs;
    } else {
      this.#pending.delete(pending.message.seq);
      this.#host.settle(this.name, pending, outcome);
    }
    if (member.active === 0) for (const resolve of member.idle.splice(0)) resolve();
    this.#dispatch();
  }
}
