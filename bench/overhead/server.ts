// One todos service for bench/overhead/run.ts, in its own process so the two variants (tracing
// and metrics on, both off) never share an event loop. Configured by the environment the
// runner passes (TRACING_ENABLED, METRICS_ENABLED, AUTH_JWKS_URL, BENCH_TOKEN); prints one
// line `READY <port> <path>` once a todo exists to read, then serves until SIGTERM.
import { createService } from '@lattice/platform';
import { createTestDatabase } from '@lattice/platform/testing';
import { service as todosService } from '../../services/todos/src/app.ts';

const token = process.env.BENCH_TOKEN;
if (!token) throw new Error('BENCH_TOKEN is required');
const database = await createTestDatabase('todos', 'pglite');
const todos = await createService(todosService, {
  env: { ...process.env, LOG_LEVEL: 'silent', NODE_ENV: 'production' },
  database: database.database,
});
const address = await todos.listen(0);
const created = await fetch(`${address}/api/v1/todos`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ title: 'overhead bench' }),
});
const body = (await created.json()) as { id?: string };
if (created.status !== 201 || !body.id)
  throw new Error(`creating a todo answered ${created.status}: ${JSON.stringify(body)}`);
process.stdout.write(`READY ${new URL(address).port} /api/v1/todos/${body.id}\n`);

process.once('SIGTERM', async () => {
  todos.app.server.closeAllConnections();
  await todos.close();
  await database.cleanup();
  process.exit(0);
});
