import { runService } from '@lattice/platform';
import { service } from './app.ts';

await runService(service, new URL('../package.json', import.meta.url));
