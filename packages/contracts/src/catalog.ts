import type { EventContract } from './contract.ts';
import { publishedContracts } from './registry.ts';

export interface CatalogRow {
  type: string;
  version: number;
  producer: string;
  consumers: string[];
  description: string;
}

/** One row per published event type, sorted by type, for `print-catalog.ts` and docs. */
export function eventCatalog(
  contracts: readonly EventContract[] = publishedContracts,
): CatalogRow[] {
  return contracts
    .map(({ type, version, producer, consumers, description }) => ({
      type,
      version,
      producer,
      consumers: [...consumers],
      description,
    }))
    .sort((a, b) => a.type.localeCompare(b.type));
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function catalogMarkdown(rows: CatalogRow[] = eventCatalog()): string {
  const lines = [
    '| type | version | producer | consumers | description |',
    '| ---- | ------- | -------- | --------- | ----------- |',
    ...rows.map(
      (r) =>
        `| \`${r.type}\` | ${r.version} | ${cell(r.producer)} | ${cell(r.consumers.join(', '))} | ${cell(r.description)} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
