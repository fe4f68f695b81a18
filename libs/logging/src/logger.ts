import winston from 'winston';
import { redactPans, redactPansDeep } from './redact';

export type LogMeta = Record<string, unknown>;

/** The narrow logger every component receives. Event names are `noun:verb` (`run:started`). */
export interface Logger {
  debug(msg: string, meta?: LogMeta): void;
  info(msg: string, meta?: LogMeta): void;
  warn(msg: string, meta?: LogMeta): void;
  error(msg: string, meta?: LogMeta): void;
  /** A logger whose every line carries `meta` (e.g. `{ component, jobId, runId }`). */
  child(meta: LogMeta): Logger;
}

export interface LoggerOptions {
  /** debug | info | warn | error. Default info. */
  level?: string;
  /** json: one JSON object per line (production); pretty: readable lines (terminal). */
  format?: 'json' | 'pretty';
  /** Service name put on every line. */
  service: string;
  /** Write to stderr instead of stdout (CLIs keep stdout for their own output). */
  stderr?: boolean;
  /** Drop every line (tests). */
  silent?: boolean;
  /** Write lines here instead of the console (tests read what was logged). */
  stream?: NodeJS.WritableStream;
}

// every value of every line passes the card-data detector, nested objects and arrays included
const redact = winston.format((info) => {
  info.message = typeof info.message === 'string' ? redactPans(info.message) : info.message;
  for (const key of Object.keys(info)) {
    const v = info[key];
    if (typeof v === 'string') info[key] = redactPans(v);
    else if (v !== null && typeof v === 'object' && !(v instanceof Error)) info[key] = redactPansDeep(v);
  }
  return info;
});

/** Control characters shown as escapes, so no value can start a new, forged line in a readable log. */
export function escapeControl(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

export function createLogger(options: LoggerOptions): Logger {
  const format =
    options.format === 'json'
      ? winston.format.combine(redact(), winston.format.timestamp(), winston.format.json())
      : winston.format.combine(
          redact(),
          winston.format.timestamp({ format: 'HH:mm:ss.SSS' }),
          winston.format.printf(({ timestamp, level, message, service: _s, ...rest }) => {
            const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
            return `${String(timestamp)} ${level.padEnd(5)} ${escapeControl(String(message))}${escapeControl(extra)}`;
          }),
        );
  const logger = winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent ?? false,
    defaultMeta: { service: options.service },
    format,
    transports: [
      options.stream
        ? new winston.transports.Stream({ stream: options.stream })
        : new winston.transports.Console({
            stderrLevels: options.stderr ? ['error', 'warn', 'info', 'debug'] : ['error'],
          }),
    ],
  });
  return wrap(logger);
}

function wrap(w: winston.Logger): Logger {
  return {
    debug: (msg, meta) => w.debug(msg, meta),
    info: (msg, meta) => w.info(msg, meta),
    warn: (msg, meta) => w.warn(msg, meta),
    error: (msg, meta) => w.error(msg, meta),
    child: (meta) => wrap(w.child(meta)),
  };
}

/** A logger that drops everything (unit tests). */
export function silentLogger(): Logger {
  return createLogger({ service: 'test', silent: true });
}
