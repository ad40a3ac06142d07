// What the bench's PostgreSQL backends wait on while busy: `pg_stat_activity` sampled every
// `intervalMs` during the measured phase, for the sessions of the bench's own databases that
// are in a statement. It is how a queue that CPU time cannot show comes to light: in 2026-11
// the saga's commits waited on one server-wide lock (`Lock`/`object`, the one every commit
// that sends NOTIFY takes) far more than on their WAL flushes.
import pg from 'pg';

export interface WaitSamples {
  /** Samples taken. */
  rounds: number;
  /** Busy sessions seen, over all samples. */
  busy: number;
  /** Busy sessions by `wait_event_type/wait_event` ("running" when on the CPU or runnable). */
  byWait: Map<string, number>;
}

/** Starts sampling; `stop` resolves with the counts. */
export async function sampleWaits(
  serverUrl: string,
  databasePrefix: string,
  intervalMs = 100,
): Promise<{ stop(): Promise<WaitSamples> }> {
  const url = new URL(serverUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({
    connectionString: url.toString(),
    application_name: 'bench-pg-waits',
  });
  await client.connect();
  const samples: WaitSamples = { rounds: 0, busy: 0, byWait: new Map() };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const { rows } = await client.query<{ wait: string; n: number }>(
        `SELECT coalesce(wait_event_type || '/' || wait_event, 'running') AS wait, count(*)::int AS n
           FROM pg_stat_activity
          WHERE starts_with(datname, $1) AND state IN ('active', 'idle in transaction')
            AND pid <> pg_backend_pid()
          GROUP BY 1`,
        [databasePrefix],
      );
      samples.rounds += 1;
      for (const { wait, n } of rows) {
        samples.busy += n;
        samples.byWait.set(wait, (samples.byWait.get(wait) ?? 0) + n);
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop.finally(() => client.end());
      return samples;
    },
  };
}

/** One line: the busiest waits as shares of the busy sessions seen. */
export function describeWaits(samples: WaitSamples, top = 6): string {
  if (samples.busy === 0) return `no busy session in ${samples.rounds} samples`;
  const shares = [...samples.byWait]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([wait, n]) => `${wait} ${((n / samples.busy) * 100).toFixed(0)}%`);
  return `${samples.busy} busy sessions in ${samples.rounds} samples: ${shares.join(', ')}`;
}
