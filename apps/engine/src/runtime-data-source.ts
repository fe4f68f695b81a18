import { createDataSource, type DataSource } from '@strongroom/db';
import { type EngineConfig } from './config';

/** A pool of the engine's runtime-login sessions with the configured timeouts (the engine's, and each run thread's). */
export function runtimeDataSource(config: EngineConfig, url: string, poolSize: number): DataSource {
  return createDataSource({
    url,
    poolSize,
    applicationName: 'strongroom-engine',
    statementTimeoutMs: config.statementTimeoutMs,
    lockTimeoutMs: config.lockTimeoutMs,
    clientTimeoutMs: config.clientTimeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
  });
}
