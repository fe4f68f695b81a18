// Public API of @strongroom/config: shared zod helpers for the apps' config.ts (each app owns its schema).
export { parseEnv, ConfigError, intString, type Env } from './parse-env';
