// Where the gateway's and the engine's JWKS comes from: a file (read at start), or a URL through jose's remote key set —
// fetched at start (a gateway or engine that cannot verify anyone does not start), fetched again when a token names a
// key it does not know (key rotation, at most every 30 s) and every 10 minutes; a failed fetch keeps the
// last good keys. Only public keys are ever held.
import { readFileSync } from 'node:fs';
import { createRemoteJWKSet } from 'jose';
import { loadJwks, type BearerSettings } from './bearer';
import { type Logger } from '@strongroom/logging';

const REFRESH_MS = 10 * 60_000;

export interface JwksSource {
  keys: NonNullable<BearerSettings['jwks']>;
  stop(): void;
}

export async function openJwksSource(
  spec: { file?: string | undefined; url?: string | undefined },
  logger: Logger,
  /** Least time between two fetches of the URL, ms (default 30 s; tests shorten it). */
  cooldownMs = 30_000,
): Promise<JwksSource | undefined> {
  if (spec.file) {
    const keys = loadJwks(JSON.parse(readFileSync(spec.file, 'utf8')));
    logger.info('auth:jwks-loaded', { source: spec.file });
    return { keys, stop: () => undefined };
  }
  if (!spec.url) return undefined;
  const url = spec.url;
  const remote = createRemoteJWKSet(new URL(url), {
    timeoutDuration: 5000,
    cooldownDuration: cooldownMs,
    cacheMaxAge: Infinity, // keys stay until a refresh succeeds
  });
  await remote.reload();
  logger.info('auth:jwks-loaded', { source: url, keys: remote.jwks()?.keys.length ?? 0 });
  const timer = setInterval(() => {
    remote.reload().catch((err: unknown) =>
      logger.warn('auth:jwks-refresh-failed', {
        source: url,
        error: String(err),
        note: 'keeping the last good keys',
      }),
    );
  }, REFRESH_MS);
  timer.unref();
  return { keys: remote, stop: () => clearInterval(timer) };
}
