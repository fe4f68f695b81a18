import { spawn } from 'node:child_process';
import { readOrCreateDevSecret } from '@strongroom/auth';
import { type CliConfig } from '../config';
import { UsageError } from '../cli-errors';
import { ENGINE_ENTRY, entryCommand, sourceRootsSetting } from './serve';

/**
 * `strongroom engine`: one engine replica against DATABASE_URL — no embedded database, no gateway. Any
 * number of them may run against one database: they share file runs through partition leases and take
 * over each other's work (docs/scaling.md). Prints the engine's `engine ready <host:port>` line; Ctrl-C
 * or SIGTERM stops it gracefully (its partitions go back at once). Exits with the engine's code.
 */
export async function engineCommand(config: CliConfig): Promise<number> {
  if (!config.databaseUrl) {
    throw new UsageError(
      'DATABASE_URL=postgres://… strongroom engine',
      'strongroom engine runs one engine replica against the database the replicas share: set DATABASE_URL ' +
        '(and DATABASE_RUNTIME_URL in production), or use `strongroom serve` for the one-command embedded stack',
    );
  }
  const env: NodeJS.ProcessEnv = {
    ...config.env,
    STRONGROOM_HOME: config.home,
    DATABASE_URL: config.databaseUrl,
    STRONGROOM_SOURCE_ROOTS: sourceRootsSetting(config),
    // the development tokens `serve` prints verify here too (production: the JWKS settings)
    ...(config.production || config.env.GATEWAY_JWT_SECRET
      ? {}
      : { GATEWAY_JWT_SECRET: readOrCreateDevSecret(config.home) }),
  };
  const { command, args, cwd } = entryCommand(ENGINE_ENTRY);
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
  // the terminal's Ctrl-C reaches the engine itself (same process group); a SIGTERM to us is passed on
  const ignore = () => undefined;
  const forward = () => child.kill('SIGTERM');
  process.on('SIGINT', ignore);
  process.on('SIGTERM', forward);
  try {
    return await new Promise<number>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
      child.once('error', () => resolve(1));
    });
  } finally {
    process.off('SIGINT', ignore);
    process.off('SIGTERM', forward);
  }
}
