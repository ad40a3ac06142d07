export { MAINTENANCE_PRUNE_PATH, registerMaintenanceRoutes } from './maintenance-routes.ts';
export { type PruneCounts, type PruneRetention, pruneMessagingTables } from './prune-messaging.ts';
