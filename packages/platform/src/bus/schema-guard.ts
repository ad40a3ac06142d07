import { type EventContract, eventContract } from '@lattice/contracts';
import { type TSchema, Type } from 'typebox';
import { Compile, type Validator } from 'typebox/compile';
import { DEAD_LETTER_TYPE, DeadLetterData } from './dead-letter.ts';
import { BusErrors } from './errors.ts';
import type { CloudEvent } from './event-bus.ts';
import { isDeadLetterSubject, subjectOfType } from './subjects.ts';

export type ContractLookup = (type: string) => EventContract | undefined;

export type Decoded =
  | { ok: true; event: CloudEvent }
  | { ok: false; reason: string; type: string; event?: CloudEvent };

const Envelope = Type.Object({
  specversion: Type.Literal('1.0'),
  id: Type.String({ minLength: 1 }),
  source: Type.String({ minLength: 1 }),
  type: Type.String({ minLength: 1 }),
  time: Type.String({ format: 'date-time' }),
  subject: Type.String({ minLength: 1 }),
  tenantid: Type.String(),
  traceparent: Type.Optional(Type.String()),
  datacontenttype: Type.Literal('application/json'),
  dataschema: Type.Optional(Type.String()),
  data: Type.Unknown(),
});

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Schema governance: every event is checked against its contract when published (the caller
 * gets an error, nothing is sent) and again when consumed (a bad message becomes a dead letter
 * with the reason), as a producer on another version or a hand-made message may still arrive.
 */
export class SchemaGuard {
  readonly #lookup: ContractLookup;
  readonly #validators = new WeakMap<object, Validator>();
  readonly #envelope = Compile(Envelope);
  readonly #deadLetter = Compile(DeadLetterData);

  constructor(lookup: ContractLookup = eventContract) {
    this.#lookup = lookup;
  }

  /** Throws EVENT_TYPE_UNKNOWN or EVENT_INVALID; returns the event's NATS subject. */
  checkPublish(event: CloudEvent): string {
    const problem = this.#problem(event, undefined);
    if (problem) {
      const unknown = problem.startsWith('unknown event type');
      throw (unknown ? BusErrors.unknownEventType : BusErrors.invalidEvent)(problem);
    }
    return subjectOfType(event.type);
  }

  /** Parses and checks a received message; never throws. */
  decode(subject: string, payload: Uint8Array | string): Decoded {
    let value: unknown;
    try {
      value = JSON.parse(typeof payload === 'string' ? payload : utf8.decode(payload));
    } catch (error) {
      return {
        ok: false,
        type: 'malformed',
        reason: `malformed JSON: ${(error as Error).message}`,
      };
    }
    const typeOf = (value as { type?: unknown } | null)?.type;
    const type = typeof typeOf === 'string' ? typeOf : 'malformed';
    const problem = this.#problem(value, subject);
    if (problem) {
      const event = this.#envelope.Check(value) ? (value as CloudEvent) : undefined;
      return { ok: false, type, reason: problem, ...(event ? { event } : {}) };
    }
    return { ok: true, event: value as CloudEvent };
  }

  #problem(value: unknown, subject: string | undefined): string | undefined {
    if (!this.#envelope.Check(value)) {
      return `not a CloudEvent: ${describe(this.#envelope, value)}`;
    }
    const event = value as CloudEvent;
    if (subject !== undefined && isDeadLetterSubject(subject)) {
      if (event.type !== DEAD_LETTER_TYPE) return `a dead-letter subject carries ${event.type}`;
      return this.#deadLetter.Check(event.data)
        ? undefined
        : `invalid dead letter: ${describe(this.#deadLetter, event.data)}`;
    }
    const contract = this.#lookup(event.type);
    if (!contract) return `unknown event type ${event.type}`;
    let expected: string;
    try {
      expected = subjectOfType(event.type);
    } catch (error) {
      return (error as Error).message;
    }
    if (subject !== undefined && subject !== expected) {
      return `type ${event.type} does not belong on subject ${subject}`;
    }
    const validator = this.#validator(contract.schema);
    return validator.Check(event.data)
      ? undefined
      : `data does not match ${event.type}: ${describe(validator, event.data)}`;
  }

  #validator(schema: TSchema): Validator {
    let validator = this.#validators.get(schema);
    if (!validator) {
      validator = Compile(schema);
      this.#validators.set(schema, validator);
    }
    return validator;
  }
}

function describe(validator: Validator, value: unknown): string {
  return validator
    .Errors(value)
    .slice(0, 3)
    .map((e) => `${e.instancePath || '/'} ${e.message}`)
    .join('; ');
}
