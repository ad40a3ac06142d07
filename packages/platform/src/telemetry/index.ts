export { traceRedisCommands } from './redis-spans.ts';
export type { SpanTreeNode, StoredSpan, TraceSummary } from './span-store.ts';
export { SpanStore, spanTree } from './span-store.ts';
export { registerTraceRoutes } from './trace-routes.ts';
export { activeTraceparent, eventContext, inEventContext } from './traced-bus.ts';
export {
  failSpan,
  flushSpans,
  type ServiceTracing,
  spanStore,
  type TracingConfig,
  withSpan,
} from './tracing.ts';
