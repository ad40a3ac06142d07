export {
  enqueue,
  enqueueWithChange,
  outboxChannel,
  outboxInsert,
  outboxWake,
  type Write,
} from './enqueue.ts';
export {
  consumeOnce,
  INBOX_RETENTION_MS,
  idempotentHandler,
  pruneInbox,
} from './inbox.ts';
export { type BatchingInboxOptions, batchingInbox } from './inbox-batch.ts';
export { type Listen, type PostgresListenOptions, pgliteListen, postgresListen } from './listen.ts';
export { inboxMigration, outboxMigration, outboxMigrations } from './migrations.ts';
export {
  type OutboxLag,
  type OutboxLogger,
  OutboxRelay,
  type OutboxRelayObserver,
  type OutboxRelayOptions,
} from './relay.ts';
