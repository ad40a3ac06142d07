// `node services/analytics/src/rebuild.ts [--source auto|stream|log]`: drops the analytics read
// models and rebuilds them by replaying the events, with a progress bar. Exit codes: 0 done,
// 1 the rebuild failed (nothing changed), 2 bad arguments or configuration.
import {
  baseConfigSchema,
  ConfigError,
  consumerGroup,
  extendConfig,
  loadConfig,
} from '@lattice/platform';
import { analyticsConfig } from './config.ts';
import { READ_MODEL_CONSUMER } from './events/event-types.ts';
import { openAnalyticsDatabase } from './rebuild/open-database.ts';
import { parseRebuildArgs, USAGE, UsageError } from './rebuild/rebuild-args.ts';
import { rebuildReadModels } from './rebuild/rebuild-read-models.ts';

try {
  const config = loadConfig('analytics', extendConfig(baseConfigSchema, analyticsConfig));
  const args = parseRebuildArgs(process.argv.slice(2), config.ANALYTICS_REBUILD_SOURCE);
  if (!args) {
    process.stdout.write(`${USAGE}\n`);
  } else {
    const kind =
      args.source === 'auto'
        ? config.LATTICE_MODE === 'distributed'
          ? 'stream'
          : 'log'
        : args.source;
    const { database, close } = await openAnalyticsDatabase(config);
    try {
      const result = await rebuildReadModels(database, {
        source:
          kind === 'stream'
            ? { kind, natsUrl: config.NATS_URL, allowPartial: args.allowPartial }
            : { kind },
        consumer: `${config.EVENT_GROUP_PREFIX}${consumerGroup('analytics', READ_MODEL_CONSUMER)}`,
        progress: {
          write: (text) => process.stderr.write(text),
          isTTY: process.stderr.isTTY === true,
        },
      });
      for (const s of result.streams ?? []) {
        process.stdout.write(
          `stream ${s.stream}: ${s.messages} events, seq ${s.firstSeq}..${s.lastSeq}\n`,
        );
      }
      process.stdout.write(
        `rebuilt from ${result.source}: ${result.read} events read, ${result.applied} applied, ${result.skipped} skipped, in ${(result.durationMs / 1000).toFixed(1)} s\n`,
      );
    } finally {
      await close();
    }
  }
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`rebuild: ${error.message}\n`);
    process.exitCode = 2;
  } else if (error instanceof UsageError) {
    process.stderr.write(`rebuild: ${error.message}\nRun with --help for usage.\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(
      `rebuild failed, the read models are unchanged: ${(error as Error).message}\n`,
    );
    process.exitCode = 1;
  }
}
