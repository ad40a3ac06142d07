import { fileURLToPath } from 'node:url';
import { exitOnStartFailure, runEmbedded } from '@lattice/platform';

const root = fileURLToPath(new URL('..', import.meta.url));
await runEmbedded(root).catch((error) => exitOnStartFailure('lattice', error));
