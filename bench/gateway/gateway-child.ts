// The Lattice gateway as its own process for bench:gateway: configured by the environment the
// parent passes, it listens on 127.0.0.1:<random port> and prints `listening <url>` on stdout.
import { createService } from '@lattice/platform';
import { service } from '../../services/gateway/src/app.ts';

const gateway = await createService(service, { env: process.env });
const address = await gateway.listen(0);
process.stdout.write(`listening ${address}\n`);
const stop = () => {
  gateway.app.server.closeAllConnections();
  void gateway.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
