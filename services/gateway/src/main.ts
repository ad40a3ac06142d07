import { runService } from '@lattice/platform';
import { service } from './app.ts';
import { runWorkers, workerCount } from './workers.ts';

await runWorkers(workerCount(process.env), async () => {
  await runService(service, new URL('../package.json', import.meta.url));
});
