import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Where the development HS256 secret of a STRONGROOM_HOME lives (shared by serve, the engine, the gateway and the CLI). */
export function devSecretFile(home: string): string {
  return path.join(home, 'keys', 'gateway-jwt.secret');
}

/**
 * Reads the development HS256 secret of `home`, creating it (mode 0600, in a 0700 folder) on first use.
 * Development only: production verifies tokens against the identity provider's keys instead.
 */
export function readOrCreateDevSecret(home: string): string {
  const file = devSecretFile(home);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    try {
      fs.writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process made it first
    }
  }
  return fs.readFileSync(file, 'utf8').trim();
}

/** The development secret of `home` when it exists and is readable, else undefined (never creates it). */
export function readDevSecret(home: string): string | undefined {
  try {
    return fs.readFileSync(devSecretFile(home), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
