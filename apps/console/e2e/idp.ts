// The browser tests' identity provider (oidc-idp.mjs, a real OpenID Connect provider) as a child process.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { ROOT } from './stack';

export interface TestIdp {
  issuer: string;
  jwksUri: string;
  stop(): Promise<void>;
}

/** A port free now, for a server whose address must be known before it starts (a registered redirect URI). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts the provider with one public client allowed to come back to `redirectUri`. */
export async function startIdp(redirectUri: string, audience: string): Promise<TestIdp> {
  const child = spawn(
    process.execPath,
    [path.join(ROOT, 'apps', 'console', 'e2e', 'oidc-idp.mjs'), '--redirect-uri', redirectUri, '--audience', audience],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const deadline = Date.now() + 30_000;
  while (!out.includes('\n')) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the test identity provider did not start:\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const ready = JSON.parse(out.split('\n')[0] as string) as { issuer: string; jwksUri: string };
  return {
    ...ready,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
