// Entry point: `node bin/run-ts.js apps/gateway/src/main.ts`. Parses the configuration, starts the
// gateway, prints `gateway metrics <url>` (when on) and then `gateway ready <url>` on stdout once it
// listens (scripts wait for the ready line; everything else goes through the logger), and stops
// gracefully on SIGTERM/SIGINT (exit 0).
import { createLogger } from '@strongroom/logging';
import { GatewayConfigError, describeConfig, loadConfig } from './config';
import { startGateway } from './server';

/** A second signal while stopping, or a stop that hangs this long, ends the process forcefully. */
const FORCED_EXIT_MS = 15_000;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof GatewayConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  // Log lines go to stderr so stdout carries only the ready line.
  const logger = createLogger({ service: 'gateway', level: config.logLevel, format: config.logFormat, stderr: true });
  logger.info('gateway:configured', describeConfig(config));

  const gateway = await startGateway(config, logger);
  logger.info(`gateway listening on ${gateway.url}`, { port: gateway.port });
  if (gateway.metricsUrl) process.stdout.write(`gateway metrics ${gateway.metricsUrl}\n`);
  process.stdout.write(`gateway ready ${gateway.url}\n`);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn('gateway:forced-exit', { signal });
      process.exit(1);
    }
    stopping = true;
    logger.info('gateway:signal', { signal });
    setTimeout(() => {
      logger.error('gateway:stop-timeout', { afterMs: FORCED_EXIT_MS });
      process.exit(1);
    }, FORCED_EXIT_MS).unref();
    gateway.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('gateway:stop-failed', { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  if (config.supervised) {
    // serve/start stop us in order; the terminal's Ctrl-C is theirs to handle, and their going away is ours
    process.on('SIGINT', () => undefined);
    process.stdin.resume();
    process.stdin.once('end', shutdown);
  } else {
    process.on('SIGINT', shutdown);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
