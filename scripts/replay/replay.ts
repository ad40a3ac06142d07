import {
  type ConsumerInfo,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type StreamInfo,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { type ReplayOptions, UsageError } from './args.ts';
import { coveredByAny, filtersOf, rangeFilters } from './filters.ts';
import { inboxSchema, inboxSql, resetInbox } from './inbox.ts';
import { type ProgressSink, type WatchResult, watchCatchUp } from './progress.ts';
import { type RangeScan, scanRange } from './range.ts';
import {
  RecreateError,
  type RepositionMethod,
  repositionGroup,
  repositionMethod,
  startSequence,
} from './reposition.ts';

/** A failure of the replay itself (broker, database): exit code 1. */
export class ReplayError extends Error {
  readonly exitCode = 1;
}

export interface ReplayIo {
  /** The plan, SQL and summary (stdout). */
  out(text: string): void;
  /** Progress and notes (stderr). */
  err: ProgressSink;
}

export interface ReplaySummary {
  stream: string;
  group: string;
  range: Omit<RangeScan, 'eventIds'>;
  /** Where the group restarts (also when only planned). */
  startSeq?: number;
  method?: RepositionMethod;
  repositioned: boolean;
  /** Inbox rows deleted, when the replay reset them itself. */
  inboxDeleted?: number;
  /** The inbox SQL was printed for the operator instead of run; nothing else changed. */
  inboxSqlPrinted: boolean;
  watch?: WatchResult;
}

/**
 * Replays a stream's stored events (or a range) to one consumer group by moving the group's
 * durable consumer back: the running instances of that group receive the events again through
 * their usual handlers, with their usual retries, dead-lettering and inbox.
 */
export async function replay(
  options: ReplayOptions,
  io: ReplayIo,
  signal?: AbortSignal,
): Promise<ReplaySummary> {
  const nc = await open(options.natsUrl);
  try {
    return await run(nc, options, io, signal);
  } finally {
    await nc.close().catch(() => {});
  }
}

async function open(natsUrl: string): Promise<NatsConnection> {
  try {
    return await connect({
      servers: natsUrl.split(',').map((s) => s.trim()),
      name: 'lattice-events-replay',
    });
  } catch (error) {
    throw new ReplayError(`cannot reach NATS at ${natsUrl}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function run(
  nc: NatsConnection,
  options: ReplayOptions,
  io: ReplayIo,
  signal: AbortSignal | undefined,
): Promise<ReplaySummary> {
  const { stream, group } = options;
  const jsm = await jetstreamManager(nc);
  const streamInfo = await findStream(jsm, stream);
  const consumer = await findGroup(jsm, stream, group);
  const groupFilters = filtersOf(consumer.config);
  if (options.subject !== undefined) {
    if (!coveredByAny(streamInfo.config.subjects, options.subject)) {
      throw new UsageError(
        `--subject ${options.subject} is not stored in stream ${stream} (${streamInfo.config.subjects.join(', ')})`,
      );
    }
    if (!coveredByAny(groupFilters, options.subject)) {
      throw new UsageError(
        `--subject ${options.subject} is not consumed by group ${group} (filter ${groupFilters.join(', ')})`,
      );
    }
  }

  const filters = rangeFilters(groupFilters, options.subject);
  const lastSeq = streamInfo.state.last_seq;
  const scan = await scanRange(
    jetstream(nc),
    jsm,
    stream,
    {
      filters,
      lastSeq,
      ...(options.fromSeq !== undefined ? { fromSeq: options.fromSeq } : {}),
      ...(options.from ? { from: options.from } : {}),
      ...(options.toSeq !== undefined ? { toSeq: options.toSeq } : {}),
      ...(options.to ? { to: options.to } : {}),
    },
    options.resetInbox,
  );
  const { eventIds, ...range } = scan;
  const summary: ReplaySummary = {
    stream,
    group,
    range,
    repositioned: false,
    inboxSqlPrinted: false,
  };
  io.out(describeStream(streamInfo));
  io.out(describeGroup(consumer, groupFilters));
  io.out(describeRange(scan, filters));
  if (scan.count === 0 || scan.firstSeq === undefined) {
    io.out('nothing to replay: no stored event in the range');
    return summary;
  }

  summary.startSeq = startSequence(scan.firstSeq, consumer);
  summary.method = repositionMethod(nc.info?.version, consumer.config);
  const verb = options.dryRun ? 'would restart' : 'restarts';
  io.out(
    `group ${group} ${verb} at stream sequence ${summary.startSeq} (${summary.method === 'reset' ? 'consumer reset' : `delete and re-create: NATS ${nc.info?.version ?? '?'} has no consumer reset`}); every event it consumes from there is delivered again`,
  );
  if (summary.startSeq < scan.firstSeq) {
    io.out(
      `  (before the range: the group had not acknowledged everything before it; its inbox skips what it already applied)`,
    );
  }

  if (options.resetInbox) {
    const schema = inboxSchema(group, options.schema);
    if (options.dryRun) {
      io.out(
        `would forget ${eventIds.length} event ids of consumer ${group} in ${schema}.inbox${options.clearSql ? ', after running --clear-sql' : ''}`,
      );
    } else if (!options.databaseUrl) {
      io.out(inboxSql(schema, group, eventIds, options.clearSql));
      io.err.write(
        `The inbox was not reset and the group was not moved. Run the SQL above against the service's database (schema ${schema}), then run this command again without --reset-inbox.\n`,
      );
      summary.inboxSqlPrinted = true;
      return summary;
    } else {
      try {
        summary.inboxDeleted = await resetInbox(
          options.databaseUrl,
          schema,
          group,
          eventIds,
          options.clearSql,
        );
      } catch (error) {
        throw new ReplayError(`inbox reset failed: ${(error as Error).message}`, { cause: error });
      }
      io.out(`inbox: forgot ${summary.inboxDeleted} of ${eventIds.length} event ids of ${group}`);
    }
  } else {
    io.err.write(
      `note: without --reset-inbox, a consumer with an inbox (context.events.consume) skips the events it already applied.\n`,
    );
  }
  if (options.dryRun) return summary;

  // Caught up means: past every event stored when the group was moved.
  const targetSeq = (await jsm.streams.info(stream)).state.last_seq;
  let moved: ConsumerInfo;
  try {
    moved = await repositionGroup(jsm, stream, consumer, summary.startSeq, summary.method);
  } catch (error) {
    if (error instanceof RecreateError) {
      io.err.write(
        `Restore it with this config (nats consumer add ${stream} --config <file>):\n${JSON.stringify(error.config, null, 2)}\n`,
      );
    }
    throw new ReplayError(`cannot reposition group ${group}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  summary.repositioned = true;
  io.out(`group ${group} repositioned: ${moved.num_pending} events to deliver`);
  if (summary.method === 'recreate') {
    io.err.write(
      'running instances of the group resume once their pull notices the re-created consumer (up to about 45 s)\n',
    );
  }
  if (!options.wait) return summary;

  summary.watch = await watchCatchUp(jsm, {
    stream,
    group,
    targetSeq,
    sink: io.err,
    progressIntervalMs: options.progressIntervalMs,
    timeoutMs: options.timeoutMs,
    ...(signal ? { signal } : {}),
  });
  const seconds = (summary.watch.durationMs / 1000).toFixed(1);
  io.out(
    summary.watch.caughtUp
      ? `done: group ${group} caught up in ${seconds} s (${summary.watch.acknowledged} events acknowledged; ${scan.count} in the range)`
      : `not caught up after ${seconds} s: ${summary.watch.remaining} events still pending; the group goes on by itself`,
  );
  return summary;
}

const isApiError = (error: unknown, code: number) =>
  error instanceof JetStreamApiError && error.code === code;

async function findStream(jsm: JetStreamManager, stream: string): Promise<StreamInfo> {
  try {
    return await jsm.streams.info(stream);
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
    const names: string[] = [];
    for await (const name of jsm.streams.names()) names.push(name);
    throw new UsageError(
      `stream ${stream} not found; streams: ${names.sort().join(', ') || '(none)'}`,
    );
  }
}

async function findGroup(
  jsm: JetStreamManager,
  stream: string,
  group: string,
): Promise<ConsumerInfo> {
  try {
    return await jsm.consumers.info(stream, group);
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.ConsumerNotFound)) throw error;
    const durables: string[] = [];
    for await (const info of jsm.consumers.list(stream)) {
      if (info.config.durable_name) durables.push(info.name);
    }
    throw new UsageError(
      `group ${group} has no durable consumer on stream ${stream}; its groups: ${durables.sort().join(', ') || '(none)'}`,
    );
  }
}

function describeStream(info: StreamInfo): string {
  const { state, config } = info;
  const span =
    state.messages === 0
      ? 'empty'
      : `seq ${state.first_seq}..${state.last_seq}, ${state.first_ts} .. ${state.last_ts}`;
  const days = Math.round(config.max_age / 8.64e13);
  return `stream ${config.name} (${config.subjects.join(', ')}): ${state.messages} events, ${span}; kept ${config.max_age ? `${days} d` : 'without age limit'}`;
}

function describeGroup(info: ConsumerInfo, filters: string[]): string {
  return `group ${info.name} (filter ${filters.join(', ') || 'whole stream'}): acknowledged up to seq ${info.ack_floor.stream_seq}, ${info.num_pending} pending, ${info.num_ack_pending} unacknowledged, ${info.num_waiting} pulls waiting`;
}

function describeRange(scan: RangeScan, filters: string[]): string {
  if (scan.count === 0) return `range (${filters.join(', ') || 'whole stream'}): 0 events`;
  const lines = [
    `range (${filters.join(', ') || 'whole stream'}): ${scan.count} events, seq ${scan.firstSeq}..${scan.lastSeq}, ${scan.firstTime} .. ${scan.lastTime}`,
    ...[...scan.bySubject].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `  ${s}  ${n}`),
  ];
  return lines.join('\n');
}
