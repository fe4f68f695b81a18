// Public API of @strongroom/config: shared zod helpers for the apps' config.ts (each app owns its schema).
export { ENGINE_NODE_FLAGS } from './node-flags';
export { workerBootstrap } from './worker-boot';
export { defaultRunThreads } from './run-threads';
export { parseEnv, ConfigError, intString, fractionString, engineTlsEnv, engineTlsFiles, type Env } from './parse-env';
