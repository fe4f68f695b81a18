import { createLogger } from '@strongroom/logging';
import { loadConfig } from './config';
import { startEngine } from './server';

/**
 * Engine entry point. Prints one line `engine ready <host:port>` on stdout when serving.
 * SIGTERM/SIGINT: graceful shutdown (exit 0); a second signal forces (exit 1).
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ service: 'engine', level: config.logLevel, format: config.logFormat, stderr: true });
  const engine = await startEngine(config, logger);
  logger.info('engine:listening', { address: engine.address });
  if (engine.metricsAddress) process.stdout.write(`engine metrics http://${engine.metricsAddress}/metrics\n`);
  process.stdout.write(`engine ready ${engine.address}\n`);
  let stopping = false;
  const onSignal = (signal: string) => {
    if (stopping) {
      logger.warn('engine:forced-stop', { signal });
      engine.forceStop();
      process.exit(1);
    }
    stopping = true;
    logger.info('engine:stopping', { signal });
    engine.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error('engine:stop-failed', { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  if (config.supervised) {
    // serve/start stop us in order; the terminal's Ctrl-C is theirs to handle, and their going away is ours
    process.on('SIGINT', () => undefined);
    process.stdin.resume();
    process.stdin.once('end', () => onSignal('SIGTERM'));
  } else {
    process.on('SIGINT', () => onSignal('SIGINT'));
  }
}

main().catch((err) => {
  process.stderr.write(`engine failed to start: ${(err as Error)?.message ?? String(err)}\n`);
  process.exit(1);
});
