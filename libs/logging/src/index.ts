// Public API of @strongroom/logging: a narrow Logger interface backed by winston, scoped child
// loggers, correlation ids, and PAN redaction applied to every line.
export { createLogger, silentLogger, type Logger, type LogMeta, type LoggerOptions } from './logger';
export { newCorrelationId } from './correlation';
export {
  redactPans,
  redactPansDeep,
  replacePans,
  findPans,
  removeSensitiveAuthData,
  digitsOnly,
  isCompactIban,
  clearOfCardDataAt,
} from './redact';
