import { Lru } from '../lru.ts';
import { BusErrors } from './errors.ts';

/**
 * CloudEvent type ↔ NATS subject. A type `lattice.orders.order.placed.v1` travels on subject
 * `orders.order.placed.v1` (`<context>.<aggregate>.<event>.v<N>`) and is stored in the stream of
 * its bounded context, `ORDERS` (subjects `orders.>`).
 */
const TYPE_PREFIX = 'lattice.';
const SUBJECT_PATTERN = /^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.v[1-9][0-9]*$/;
const TOKEN = /^[A-Za-z0-9_-]+$/;

/** Where dead letters go: `deadletter.<group>.<original subject>`, stream `DEADLETTER`. */
export const DEAD_LETTER_CONTEXT = 'deadletter';
export const DEAD_LETTER_STREAM = 'DEADLETTER';

export function subjectOfType(type: string): string {
  const subject = type.startsWith(TYPE_PREFIX) ? type.slice(TYPE_PREFIX.length) : '';
  if (!SUBJECT_PATTERN.test(subject)) {
    throw BusErrors.invalidEvent(
      `event type ${type} must look like lattice.<context>.<aggregate>.<event>.v<N>`,
    );
  }
  return subject;
}

export function typeOfSubject(subject: string): string {
  return `${TYPE_PREFIX}${subject}`;
}

/** The bounded context of a subject or subject pattern: its first token, never a wildcard. */
export function contextOf(subject: string): string {
  const context = subject.split('.')[0] ?? '';
  if (!TOKEN.test(context)) {
    throw BusErrors.invalidSubscription(`subject ${subject} must start with a context name`);
  }
  return context;
}

export function streamName(context: string): string {
  return context.toUpperCase().replaceAll('-', '_');
}

export function isDeadLetterSubject(subject: string): boolean {
  return subject.startsWith(`${DEAD_LETTER_CONTEXT}.`);
}

export function deadLetterSubject(group: string, subject: string): string {
  return `${DEAD_LETTER_CONTEXT}.${group}.${subject}`;
}

/** Group names become durable consumer names and subject tokens, so they are one plain token. */
export function assertGroupName(group: string): void {
  if (!TOKEN.test(group)) {
    throw BusErrors.invalidSubscription(
      `consumer group ${JSON.stringify(group)} may only hold letters, digits, - and _`,
    );
  }
}

export function assertSubjectPattern(pattern: string): void {
  const tokens = pattern.split('.');
  const valid = tokens.every(
    (t, i) => TOKEN.test(t) || t === '*' || (t === '>' && i === tokens.length - 1),
  );
  if (!valid) throw BusErrors.invalidSubscription(`invalid subject pattern ${pattern}`);
  contextOf(pattern);
}

/** NATS wildcard matching: `*` is one token, a final `>` is one or more tokens. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** Most subjects a `subjectFilter` remembers its answer for. */
const FILTER_MEMORY = 1_024;

/**
 * Whether a subject matches any of `patterns`, remembered per subject: a consumer asks for
 * every message, and a service's subjects are few (one per event type and version).
 */
export function subjectFilter(patterns: readonly string[]): (subject: string) => boolean {
  const exact = patterns.every((p) => !p.includes('*') && !p.endsWith('>'));
  if (exact) {
    const wanted = new Set(patterns);
    return (subject) => wanted.has(subject);
  }
  const known = new Lru<string, boolean>(FILTER_MEMORY);
  return (subject) => {
    let matches = known.get(subject);
    if (matches === undefined) {
      matches = patterns.some((p) => subjectMatches(p, subject));
      known.set(subject, matches);
    }
    return matches;
  };
}
