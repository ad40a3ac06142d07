import { type Static, Type } from 'typebox';
import type { CloudEvent } from './event-bus.ts';

/**
 * A dead letter is itself a CloudEvent of this one type, stored on
 * `deadletter.<group>.<original subject>` (stream DEADLETTER): an operator can list them per
 * group, read why each failed, and re-publish `payload` once the cause is fixed. The same
 * facts travel as headers on the JetStream message, for tools that do not parse bodies.
 */
export const DEAD_LETTER_TYPE = 'lattice.deadletter.message.dead-lettered.v1';

export const DeadLetterData = Type.Object({
  reason: Type.String(),
  group: Type.String(),
  /** NATS subject the message was consumed from. */
  subject: Type.String(),
  deliveryCount: Type.Integer({ minimum: 0 }),
  /** The original message body, as received (it may not even be JSON). */
  payload: Type.String(),
  /** The original event, when the body parsed as one. */
  event: Type.Optional(Type.Unknown()),
  stream: Type.Optional(Type.String()),
  sequence: Type.Optional(Type.Integer()),
});
export type DeadLetter = Static<typeof DeadLetterData>;

export const DeadLetterHeaders = {
  reason: 'Lattice-Dead-Letter-Reason',
  subject: 'Lattice-Original-Subject',
  group: 'Lattice-Consumer-Group',
  deliveryCount: 'Lattice-Delivery-Count',
} as const;

/** Headers may not hold newlines and should stay small; the body keeps the full reason. */
export function headerSafe(text: string, max = 512): string {
  const flat = text.replaceAll(/[\r\n]+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function deadLetterEvent(id: string, letter: DeadLetter): CloudEvent<DeadLetter> {
  const original = letter.event as Partial<CloudEvent> | undefined;
  return {
    specversion: '1.0',
    id,
    source: '/lattice/event-bus',
    type: DEAD_LETTER_TYPE,
    time: new Date().toISOString(),
    subject: typeof original?.id === 'string' ? original.id : letter.subject,
    tenantid: typeof original?.tenantid === 'string' ? original.tenantid : '',
    ...(typeof original?.traceparent === 'string' ? { traceparent: original.traceparent } : {}),
    datacontenttype: 'application/json',
    data: letter,
  };
}

/** The reason string of a failure: the error's message, with its code when it has one. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message || error.name;
  }
  return String(error);
}
