// `npm run start:distributed`: every service as its own Node process on this machine, talking
// to PostgreSQL, NATS and Redis at POSTGRES_URL, NATS_URL and REDIS_URL.
import { fileURLToPath } from 'node:url';
import { type CatalogEntry, readServiceCatalog } from '@lattice/platform';
import { ensureDevSigningKey } from './supervisor/dev-signing-key.ts';
import { buildSpecs } from './supervisor/discover-services.ts';
import { Supervisor } from './supervisor/supervisor.ts';

// Under `npm run` one Ctrl-C arrives twice: from the terminal (we share npm's process group) and
// forwarded by npm itself. A repeat this soon is the same keypress, not a request to kill.
const SAME_KEYPRESS_MS = 500;
// Matches the services' own SHUTDOWN_TIMEOUT_MS default, plus headroom for them to honour it.
const DEFAULT_SERVICE_SHUTDOWN_MS = 10_000;
const SHUTDOWN_HEADROOM_MS = 5_000;

const rootDir = fileURLToPath(new URL('..', import.meta.url));

function fail(message: string): never {
  process.stderr.write(`[supervisor] ${message}\n`);
  process.exit(1);
}

let catalog: CatalogEntry[];
try {
  catalog = readServiceCatalog(rootDir, process.env);
} catch (error) {
  fail((error as Error).message);
}
if (catalog.length === 0) fail(`no services found under ${rootDir}services/`);

const serviceShutdownMs = Number(process.env.SHUTDOWN_TIMEOUT_MS ?? DEFAULT_SERVICE_SHUTDOWN_MS);
if (!Number.isInteger(serviceShutdownMs) || serviceShutdownMs < 0) {
  fail(`SHUTDOWN_TIMEOUT_MS=${process.env.SHUTDOWN_TIMEOUT_MS}: expected a whole number of ms`);
}

const supervisor = new Supervisor(
  buildSpecs(catalog, {
    command: process.execPath,
    env: ensureDevSigningKey(rootDir, process.env),
    rootDir,
  }),
  {
    stopTimeoutMs: serviceShutdownMs + SHUTDOWN_HEADROOM_MS,
    colour: process.stdout.isTTY === true && !process.env.NO_COLOR,
  },
);

const nameWidth = Math.max('service'.length, ...catalog.map((s) => s.name.length));
supervisor.log(`${'service'.padEnd(nameWidth)}  port   url`);
for (const { name, port } of catalog) {
  supervisor.log(`${name.padEnd(nameWidth)}  ${String(port).padEnd(5)}  http://127.0.0.1:${port}`);
}

// Children lead their own process groups, so nothing else reaps them if we die unexpectedly.
process.on('exit', () => supervisor.kill());

let firstSignalAt: number | undefined;
function onSignal(signal: NodeJS.Signals): void {
  const now = Date.now();
  if (firstSignalAt === undefined) {
    firstSignalAt = now;
    supervisor.log(`${signal}: stopping all services (Ctrl-C again to kill them now)`);
    supervisor.stop().then(({ killed }) => process.exit(killed.length > 0 ? 1 : 0));
    return;
  }
  if (now - firstSignalAt < SAME_KEYPRESS_MS) return;
  supervisor.log(`${signal} again: killing all services`);
  supervisor.kill();
  process.exit(1);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);

supervisor.start();
