import { parseArgs } from 'node:util';

export interface RebuildArgs {
  source: 'auto' | 'stream' | 'log';
  allowPartial: boolean;
}

/** A problem with what the operator asked for: exit code 2. */
export class UsageError extends Error {}

export const USAGE = `Usage: node services/analytics/src/rebuild.ts [--source auto|stream|log] [--allow-partial]

Drops the analytics read models and rebuilds them from the events, in one transaction
(queries keep the old numbers until it commits). See services/analytics/README.md#rebuild.

  --source stream   replay the JetStream streams (auth, users, todos, orders, payments)
  --source log      replay the service's own event log
  --source auto     stream in distributed mode, log in embedded mode (default;
                    ANALYTICS_REBUILD_SOURCE overrides it)
  --allow-partial   rebuild from streams that lost old events to retention anyway
  -h, --help        this text

Configuration as the service's: LATTICE_MODE, DATABASE_URL / POSTGRES_URL, NATS_URL,
DATA_DIR, EVENT_GROUP_PREFIX. In embedded mode stop \`npm start\` first (PGlite is one
process's file).`;

/** Returns undefined for --help. */
export function parseRebuildArgs(argv: string[], configured: RebuildArgs['source']) {
  let values: { source?: string; 'allow-partial'?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        source: { type: 'string' },
        'allow-partial': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return undefined;
  const source = values.source ?? configured;
  if (source !== 'auto' && source !== 'stream' && source !== 'log') {
    throw new UsageError(`--source ${source}: give auto, stream or log`);
  }
  return { source, allowPartial: values['allow-partial'] ?? false } satisfies RebuildArgs;
}
