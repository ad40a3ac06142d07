export { type CatalogRow, catalogMarkdown, eventCatalog } from './catalog.ts';
export { defineContract, type EventContract } from './contract.ts';
export * from './events/auth.ts';
export * from './events/orders.ts';
export * from './events/payments.ts';
export * from './events/todos.ts';
export * from './events/users.ts';
export { eventContract, eventContracts, publishedContracts, registerContract } from './registry.ts';
export { type SchemaSnapshot, schemaSnapshot, schemasDir, snapshotPath } from './snapshots.ts';
