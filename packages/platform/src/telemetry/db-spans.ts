import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  ATTR_DB_NAMESPACE,
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  DB_SYSTEM_NAME_VALUE_POSTGRESQL,
} from '@opentelemetry/semantic-conventions';
import type { LogEvent } from 'kysely';
import { activeSpanAndTracer } from './tracing.ts';

const OPERATION = /^\s*(?:with\b[\s\S]*?\)\s*)?([a-z]+)/i;
// Kysely's builders say what the query is; only raw `sql` templates need their text read.
const OPERATION_OF_NODE: Record<string, string> = {
  SelectQueryNode: 'SELECT',
  InsertQueryNode: 'INSERT',
  UpdateQueryNode: 'UPDATE',
  DeleteQueryNode: 'DELETE',
  MergeQueryNode: 'MERGE',
};

/** The span's operation: from the query's node, or for a raw `sql` template its first keyword after any WITH. */
export function operationOf(query: LogEvent['query']): string {
  const known = OPERATION_OF_NODE[query.query.kind];
  if (known) return known;
  return (OPERATION.exec(query.sql)?.[1] ?? 'query').toUpperCase();
}

/**
 * Kysely's `log` hook as a source of CLIENT spans, one per query, on PGlite and pg alike:
 * Kysely calls it when a query settles, with its duration, in the caller's async context, so
 * the span is placed in the past (start = now − duration) under the active span. Queries made
 * outside any span (the outbox relay's polling, pruning) are not traced. The query text is
 * Kysely's parameterised SQL: values never reach the span.
 */
export function queryTracer(schema: string, driver: 'pglite' | 'pg'): (event: LogEvent) => void {
  return (event) => {
    const found = activeSpanAndTracer();
    if (!found) return;
    const end = performance.timeOrigin + performance.now();
    const sqlText = event.query.sql;
    const operation = operationOf(event.query);
    const span = found.tracer.startSpan(`${operation} ${schema}`, {
      kind: SpanKind.CLIENT,
      startTime: end - event.queryDurationMillis,
      attributes: {
        [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_POSTGRESQL,
        [ATTR_DB_NAMESPACE]: schema,
        [ATTR_DB_OPERATION_NAME]: operation,
        [ATTR_DB_QUERY_TEXT]: sqlText.length > 2000 ? `${sqlText.slice(0, 2000)}…` : sqlText,
        'lattice.db.driver': driver,
      },
    });
    if (event.level === 'error') {
      const error = event.error as { code?: string; message?: string };
      span.setAttribute(ATTR_ERROR_TYPE, error?.code ?? 'error');
      span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message });
    }
    span.end(end);
  };
}
