// Prints the event catalog as a Markdown table: `node packages/contracts/src/print-catalog.ts`.
import { catalogMarkdown } from './catalog.ts';

process.stdout.write(catalogMarkdown());
