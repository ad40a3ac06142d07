import { type Context, context, type Span, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  ATTR_DB_OPERATION_NAME,
  ATTR_DB_QUERY_TEXT,
  ATTR_DB_RESPONSE_STATUS_CODE,
  ATTR_DB_SYSTEM_NAME,
  ATTR_ERROR_TYPE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
} from '@opentelemetry/semantic-conventions';
import type { Command, Redis } from 'ioredis';
import { activeSpanAndTracer } from './tracing.ts';

// Only in the incubating entry point of the conventions package, so spelled out here.
const DB_SYSTEM_NAME_VALUE_REDIS = 'redis';
const CONNECTION_NAME = 'lattice.redis.connection';
// ioredis sends a command again after a reconnect: still one span per command.
const traced = new WeakSet<Command>();
// A command queued in a pipeline is sent when the pipeline runs, which for ioredis's
// auto-pipelining (the commands of one event-loop turn sent together) is a later callback in
// the first caller's context: each command keeps the context of the call that queued it.
const queuedIn = new WeakMap<Command, Context>();
// An error reply starts with its kind: "WRONGTYPE Operation against a key holding…".
const ERROR_PREFIX = /^([A-Z][A-Z_]*)\b/;

/**
 * Every command `redis` sends while a recorded span is active gets a CLIENT span, a child of
 * that span in its service's tracer, ended when the reply (or the failure) arrives. The span
 * carries the command's name and never its arguments: keys and values may hold user data.
 * A custom command (`defineCommand`) appears as the EVALSHA or EVAL that carries it. A
 * command sent in a pipeline (`enableAutoPipelining` included) is a child of the span active
 * where it was queued. Outside any span a command costs one context lookup more.
 */
export function traceRedisCommands<R extends Redis>(redis: R): R {
  const send = redis.sendCommand.bind(redis);
  const newPipeline = redis.pipeline.bind(redis);
  redis.pipeline = ((...args: Parameters<R['pipeline']>) => {
    // ioredis's Pipeline queues each command through its own sendCommand (not in its types).
    const pipeline = newPipeline(...args) as ReturnType<R['pipeline']> & {
      sendCommand(command: Command): unknown;
    };
    const queue = pipeline.sendCommand.bind(pipeline);
    pipeline.sendCommand = (command: Command) => {
      queuedIn.set(command, context.active());
      return queue(command);
    };
    return pipeline;
  }) as R['pipeline'];
  const { host, port, path, connectionName } = redis.options;
  const connection: Record<string, string | number> = path
    ? { [ATTR_SERVER_ADDRESS]: path }
    : { [ATTR_SERVER_ADDRESS]: host || 'localhost', [ATTR_SERVER_PORT]: port || 6379 };
  if (connectionName) connection[CONNECTION_NAME] = connectionName;

  redis.sendCommand = (command, stream) => {
    const queued = queuedIn.get(command);
    const found = activeSpanAndTracer(queued);
    if (!found || traced.has(command)) return send(command, stream);
    traced.add(command);
    const span = found.tracer.startSpan(
      command.name.toUpperCase(),
      {
        kind: SpanKind.CLIENT,
        attributes: { [ATTR_DB_SYSTEM_NAME]: DB_SYSTEM_NAME_VALUE_REDIS, ...connection },
      },
      queued,
    );
    let sent: unknown;
    try {
      sent = send(command, stream);
    } catch (error) {
      ended(span, command, error);
      throw error;
    }
    command.promise.then(
      () => ended(span, command),
      (error: unknown) => ended(span, command, error),
    );
    return sent;
  };
  return redis;
}

function ended(span: Span, command: Command, error?: unknown): void {
  // Named once settled: a script's command turns from EVALSHA into EVAL when it is written to
  // a connection that has not loaded the script yet, which may be after it was sent (queued).
  const operation = command.name.toUpperCase();
  span.updateName(operation);
  span.setAttribute(ATTR_DB_OPERATION_NAME, operation);
  span.setAttribute(ATTR_DB_QUERY_TEXT, operation);
  if (error !== undefined) failed(span, error);
  span.end();
}

function failed(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  // A reply error's message may quote the command's arguments (an unknown command's do): the
  // span keeps only its kind. The client's own errors (timeout, no connection) hold no data.
  const kind = err.name === 'ReplyError' ? ERROR_PREFIX.exec(err.message)?.[1] : undefined;
  if (kind) span.setAttribute(ATTR_DB_RESPONSE_STATUS_CODE, kind);
  span.setAttribute(ATTR_ERROR_TYPE, kind ?? err.name);
  span.setStatus({ code: SpanStatusCode.ERROR, message: kind ?? err.message });
}
