// The Lattice gateway as its own process for bench:gateway: configured by the environment the
// parent passes, it listens on 127.0.0.1:<random port> and prints `listening <url>` on stdout,
// once per worker with GATEWAY_WORKERS > 1 (node:cluster, the same code as src/main.ts).
import { createService } from '@lattice/platform';
import { service } from '../../services/gateway/src/app.ts';
import { runWorkers, workerCount } from '../../services/gateway/src/workers.ts';

await runWorkers(workerCount(process.env), async () => {
  const gateway = await createService(service, { env: process.env });
  // Cluster workers that listen on port 0 all share the one port the primary picked.
  const address = await gateway.listen(0);
  process.stdout.write(`listening ${address}\n`);
  const stop = () => {
    gateway.app.server.closeAllConnections();
    void gateway.close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
});
