import { randomBuffer } from '../random-ids.ts';
import type { CloudEvent } from './event-bus.ts';
import { subjectOfType } from './subjects.ts';

export interface NewEvent<T> {
  /** The producing service, e.g. `/lattice/orders` (a bare name gets that prefix). */
  source: string;
  type: string;
  /** The aggregate id; events of one subject are handled in order. */
  subject: string;
  tenantId: string;
  data: T;
  traceparent?: string;
  id?: string;
  time?: Date | string;
}

/** A CloudEvent 1.0 envelope; `id` defaults to a UUIDv7, so ids sort by creation time. */
export function createEvent<T>(event: NewEvent<T>): CloudEvent<T> {
  subjectOfType(event.type);
  const time = event.time ?? new Date();
  return {
    specversion: '1.0',
    id: event.id ?? uuidv7(),
    source: event.source.startsWith('/') ? event.source : `/lattice/${event.source}`,
    type: event.type,
    time: typeof time === 'string' ? time : time.toISOString(),
    subject: event.subject,
    tenantid: event.tenantId,
    ...(event.traceparent ? { traceparent: event.traceparent } : {}),
    datacontenttype: 'application/json',
    dataschema: `urn:lattice:schema:${event.type}`,
    data: event.data,
  };
}

/** RFC 9562 UUIDv7: 48-bit Unix milliseconds, then random bits. */
export function uuidv7(now = Date.now()): string {
  const bytes = randomBuffer(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
