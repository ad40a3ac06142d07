import type { Precondition } from '../domain/precondition.ts';
import { invalidField } from '../domain/todo-fields.ts';

/**
 * Strong ETags made of the version: `"3"`. Strong, because If-Match compares strongly
 * (RFC 9110 §13.1.1) and a weak tag could never satisfy it; honest, because the version grows
 * with every change and the representation is a function of the stored row alone.
 */
export function etagOf(version: number): string {
  return `"${version}"`;
}

// A list of entity tags: optional W/, then a quoted string of visible characters but `"`.
const ENTITY_TAG = /\s*(W\/)?"([\x21\x23-\x7E]*)"\s*(?:,|$)/y;

/** The If-Match header as a precondition; a weak tag never matches, anything else is a 400. */
export function preconditionOf(header: string | undefined): Precondition | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === '*') return { kind: 'any' };
  const versions: number[] = [];
  for (const tag of splitTags(header, 'headers.if-match')) {
    if (tag.weak) continue;
    if (/^[1-9]\d{0,9}$/.test(tag.opaque)) versions.push(Number(tag.opaque));
  }
  return { kind: 'versions', versions };
}

/** If-None-Match compares weakly: `W/"3"` and `"3"` both name version 3. */
export function noneMatch(header: string | undefined, version: number): boolean {
  if (header === undefined) return true;
  if (header.trim() === '*') return false;
  return !splitTags(header, 'headers.if-none-match').some((tag) => tag.opaque === String(version));
}

function splitTags(header: string, field: string): Array<{ weak: boolean; opaque: string }> {
  const tags: Array<{ weak: boolean; opaque: string }> = [];
  ENTITY_TAG.lastIndex = 0;
  while (ENTITY_TAG.lastIndex < header.length) {
    const match = ENTITY_TAG.exec(header);
    if (!match) {
      throw invalidField(field, 'must be * or a list of entity tags, e.g. "3" as sent in the ETag');
    }
    tags.push({ weak: match[1] !== undefined, opaque: match[2]! });
  }
  if (tags.length === 0) throw invalidField(field, 'must not be empty');
  return tags;
}
