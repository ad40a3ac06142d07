// `npm run events:replay -- --stream ORDERS --group <group> [...]`: re-delivers a stream's stored
// events to one consumer group (e.g. to rebuild a read model). See docs/events.md#replay.
// Exit codes: 0 done, 1 the replay failed or did not catch up in --timeout, 2 bad arguments.
import { parseReplayArgs, USAGE, UsageError } from './replay/args.ts';
import { ReplayError, replay } from './replay/replay.ts';

const controller = new AbortController();
// Ctrl-C stops watching only: the group is already moved and goes on by itself.
process.once('SIGINT', () => controller.abort());

try {
  const options = parseReplayArgs(process.argv.slice(2));
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
  } else {
    const summary = await replay(
      options,
      {
        out: (text) => process.stdout.write(`${text}\n`),
        err: { write: (text) => process.stderr.write(text), isTTY: process.stderr.isTTY === true },
      },
      controller.signal,
    );
    if (summary.watch && !summary.watch.caughtUp && !controller.signal.aborted) {
      process.exitCode = 1;
    }
  }
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`events:replay: ${error.message}\nRun with --help for usage.\n`);
    process.exitCode = 2;
  } else {
    const message = error instanceof ReplayError ? error.message : String(error);
    process.stderr.write(`events:replay failed: ${message}\n`);
    if (!(error instanceof ReplayError) && error instanceof Error && error.stack) {
      process.stderr.write(`${error.stack}\n`);
    }
    process.exitCode = 1;
  }
}
