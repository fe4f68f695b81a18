// Where the gateway's JWKS comes from: a file (read at start) or a URL (fetched at start, refreshed
// every 10 minutes; a failed refresh keeps the last good keys). Only public keys are ever held.
import { readFileSync } from 'node:fs';
import { loadJwks } from '@strongroom/auth';
import { type Logger } from '@strongroom/logging';

type Keys = ReturnType<typeof loadJwks>;

const REFRESH_MS = 10 * 60_000;

export interface JwksSource {
  keys(): Keys;
  stop(): void;
}

export async function openJwksSource(
  spec: { file?: string | undefined; url?: string | undefined },
  logger: Logger,
): Promise<JwksSource | undefined> {
  if (spec.file) {
    const keys = loadJwks(JSON.parse(readFileSync(spec.file, 'utf8')));
    logger.info('auth:jwks-loaded', { source: spec.file, keys: keys.length });
    return { keys: () => keys, stop: () => undefined };
  }
  if (!spec.url) return undefined;
  const url = spec.url;
  const fetchKeys = async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000), headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(`JWKS ${url} answered HTTP ${res.status}`);
    return loadJwks(await res.json());
  };
  let keys = await fetchKeys(); // a gateway that cannot verify anyone does not start
  logger.info('auth:jwks-loaded', { source: url, keys: keys.length });
  const timer = setInterval(() => {
    fetchKeys().then(
      (k) => (keys = k),
      (err: unknown) =>
        logger.warn('auth:jwks-refresh-failed', {
          source: url,
          error: String(err),
          note: 'keeping the last good keys',
        }),
    );
  }, REFRESH_MS);
  timer.unref();
  return { keys: () => keys, stop: () => clearInterval(timer) };
}
