import { connect } from 'node:net';

/**
 * The servers that integration tests talk to. `scripts/run-tests.ts` probes them once per run:
 * in CI a missing one fails the run; elsewhere its tests are skipped with one line saying what
 * to start (it sets LATTICE_SKIP_<NAME>=1 for the test processes).
 */
export interface Infrastructure {
  name: 'postgres' | 'redis' | 'nats';
  label: string;
  url: string;
  start: string;
}

export const infrastructure: Infrastructure[] = [
  {
    name: 'postgres',
    label: 'PostgreSQL',
    url: process.env.TEST_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  },
  {
    name: 'redis',
    label: 'Redis',
    url: process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379',
    start:
      'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log',
  },
  {
    name: 'nats',
    label: 'NATS (JetStream)',
    url: process.env.TEST_NATS_URL || 'nats://127.0.0.1:4222',
    start:
      'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log',
  },
];

export function testPostgresUrl(): string {
  return infrastructure[0]!.url;
}

/** `skip` option for a test that needs `name`: false to run it, a reason to skip it. */
export function needs(name: Infrastructure['name']): string | false {
  const entry = infrastructure.find((i) => i.name === name)!;
  return process.env[`LATTICE_SKIP_${name.toUpperCase()}`] === '1'
    ? `${entry.label} is not running`
    : false;
}

/** Speaks just enough of each protocol to know the server answers (not merely that a port is open). */
export function probe(entry: Infrastructure, timeoutMs = 2_000): Promise<string | undefined> {
  const url = new URL(entry.url);
  const port = Number(url.port || { postgres: 5432, redis: 6379, nats: 4222 }[entry.name]);
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port });
    let received = '';
    const done = (problem?: string) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done('no answer'));
    socket.on('error', (error) => done((error as NodeJS.ErrnoException).code ?? error.message));
    socket.on('connect', () => {
      // PostgreSQL: an SSLRequest is answered with a single 'S' or 'N' byte.
      if (entry.name === 'postgres') socket.write(Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]));
      if (entry.name === 'redis') socket.write('PING\r\n');
    });
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      if (entry.name === 'postgres')
        done(received[0] === 'S' || received[0] === 'N' ? undefined : 'unexpected answer');
      if (entry.name === 'redis' && received.includes('\r\n'))
        done(received.startsWith('+PONG') ? undefined : received.trim());
      if (entry.name === 'nats' && received.includes('\r\n')) {
        done(/"jetstream"\s*:\s*true/.test(received) ? undefined : 'JetStream is not enabled');
      }
    });
  });
}
