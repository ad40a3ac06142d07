import { parseArgs } from 'node:util';
import { streamName } from '../../packages/platform/src/bus/subjects.ts';

export interface ReplayOptions {
  natsUrl: string;
  /** JetStream stream name, e.g. `ORDERS`. */
  stream: string;
  /** Consumer group `<service>_<consumer>` = the durable consumer's name. */
  group: string;
  /** Narrows the range to one subject pattern (inside the group's filter). */
  subject?: string;
  from?: Date;
  to?: Date;
  fromSeq?: number;
  toSeq?: number;
  dryRun: boolean;
  resetInbox: boolean;
  databaseUrl?: string;
  /** The service's schema, holding its `inbox` table; defaults to the group's service. */
  schema?: string;
  /** Runs in the inbox transaction, e.g. `TRUNCATE order_stats`. */
  clearSql?: string;
  /** Watch the group until it has caught up (default), or only reposition it. */
  wait: boolean;
  /** Longest watch; 0 = until caught up. */
  timeoutMs: number;
  /** Plain progress lines this often when stderr is not a terminal. */
  progressIntervalMs: number;
}

/** A problem with what the operator asked for: exit code 2, and the message is the whole story. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

export const USAGE = `Usage: npm run events:replay -- --stream <STREAM> --group <group> [options]

Re-delivers a stream's stored events to ONE consumer group, e.g. to rebuild a read model.
The group's durable consumer is moved back to the start of the range; the running instances
of the group receive the events again. See docs/events.md#replay.

  --stream <name>        stream of a bounded context, e.g. ORDERS (or orders)
  --group <name>         consumer group <service>_<consumer>, e.g. analytics_read-models
  --subject <pattern>    only this subject pattern, e.g. 'orders.order.*.v1'
  --from <time>          range start, ISO 8601 (e.g. 2026-11-01T00:00:00Z)
  --from-seq <n>         range start, stream sequence
  --to <time>            range end (inclusive), ISO 8601
  --to-seq <n>           range end (inclusive), stream sequence
  --reset-inbox          forget the range's events in the group's inbox so they apply again;
                         without --database-url, prints the SQL and changes nothing
  --database-url <url>   the service's database, for --reset-inbox
  --schema <name>        the service's schema (default: the group's <service>)
  --clear-sql <sql>      run in the same transaction as the inbox reset (clear the read model)
  --dry-run              print what would be done; change nothing
  --no-wait              reposition the group and exit without watching it catch up
  --timeout <seconds>    stop watching after this long (exit 1 if not caught up)
  -h, --help             this text

Environment: NATS_URL (default nats://127.0.0.1:4222).`;

/** Returns undefined for --help (the caller prints USAGE). */
export function parseReplayArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): ReplayOptions | undefined {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return undefined;
  if (!values.stream) throw new UsageError('--stream is required (e.g. --stream ORDERS)');
  if (!values.group) throw new UsageError('--group is required (the consumer group to replay to)');
  if (values.from !== undefined && values['from-seq'] !== undefined) {
    throw new UsageError('give --from or --from-seq, not both');
  }
  if (values.to !== undefined && values['to-seq'] !== undefined) {
    throw new UsageError('give --to or --to-seq, not both');
  }
  const options: ReplayOptions = {
    natsUrl: env.NATS_URL || 'nats://127.0.0.1:4222',
    stream: /[a-z]/.test(values.stream) ? streamName(values.stream) : values.stream,
    group: values.group,
    dryRun: values['dry-run'] ?? false,
    resetInbox: values['reset-inbox'] ?? false,
    wait: !(values['no-wait'] ?? false),
    timeoutMs: values.timeout === undefined ? 0 : seconds('--timeout', values.timeout),
    progressIntervalMs: 5_000,
  };
  assertDurableName(options.group);
  if (values.subject !== undefined) options.subject = subjectPattern(values.subject);
  if (values.from !== undefined) options.from = time('--from', values.from);
  if (values.to !== undefined) options.to = time('--to', values.to);
  if (values['from-seq'] !== undefined)
    options.fromSeq = sequence('--from-seq', values['from-seq']);
  if (values['to-seq'] !== undefined) options.toSeq = sequence('--to-seq', values['to-seq']);
  if (options.from && options.to && options.to < options.from) {
    throw new UsageError('--to is before --from');
  }
  if (options.fromSeq && options.toSeq && options.toSeq < options.fromSeq) {
    throw new UsageError('--to-seq is below --from-seq');
  }
  if (values['database-url'] !== undefined) options.databaseUrl = values['database-url'];
  if (values.schema !== undefined) options.schema = values.schema;
  if (values['clear-sql'] !== undefined) options.clearSql = values['clear-sql'];
  if ((options.databaseUrl || options.clearSql) && !options.resetInbox) {
    throw new UsageError('--database-url and --clear-sql only go with --reset-inbox');
  }
  return options;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      stream: { type: 'string' },
      group: { type: 'string' },
      subject: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'from-seq': { type: 'string' },
      'to-seq': { type: 'string' },
      'dry-run': { type: 'boolean' },
      'reset-inbox': { type: 'boolean' },
      'database-url': { type: 'string' },
      schema: { type: 'string' },
      'clear-sql': { type: 'string' },
      'no-wait': { type: 'boolean' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/**
 * The group is the durable consumer's name, and JetStream refuses these characters in one
 * (the kit's `assertGroupName` is stricter still).
 */
export function assertDurableName(group: string): void {
  if (!/^[^.*>\s/\\]+$/.test(group)) {
    throw new UsageError(
      `--group ${JSON.stringify(group)} cannot name a JetStream durable consumer (no ".", "*", ">", "/", "\\" or spaces)`,
    );
  }
}

function subjectPattern(pattern: string): string {
  const tokens = pattern.split('.');
  const valid = tokens.every(
    (t, i) => /^[A-Za-z0-9_-]+$/.test(t) || t === '*' || (t === '>' && i === tokens.length - 1),
  );
  if (!valid) throw new UsageError(`--subject ${pattern} is not a NATS subject pattern`);
  return pattern;
}

function time(flag: string, text: string): Date {
  // Date.parse accepts loose text ("1"), and a range must never start somewhere unexpected.
  const date = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(date.getTime())) {
    throw new UsageError(`${flag} ${text} is not an ISO 8601 time (e.g. 2026-11-01T00:00:00Z)`);
  }
  return date;
}

function sequence(flag: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${flag} ${text} is not a stream sequence (an integer from 1)`);
  }
  return n;
}

function seconds(flag: string, text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag} ${text} is not a positive number`);
  return Math.round(n * 1000);
}
