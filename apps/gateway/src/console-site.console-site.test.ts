import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { CONSOLE_CSP, consoleCsp, consoleSite, type ConsoleOidc } from './console-site';

/** The console's files over a real HTTP server, as the gateway serves them. */
describe('consoleSite', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-console-site-'));
  const dist = path.join(dir, 'dist');
  fs.mkdirSync(path.join(dist, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>console</title>');
  fs.writeFileSync(path.join(dist, 'assets', 'app-1a2b.js'), 'console.log(1)');
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'not for the web');
  let server: Server;
  let base: string;
  const serve = (root: string, oidc: ConsoleOidc | null = null) => {
    const site = consoleSite(root, oidc);
    return createServer((req, res) => {
      void site(req, res, new URL(req.url ?? '/', 'http://x').pathname).then((handled) => {
        if (!handled) {
          res.statusCode = 404;
          res.end('not found');
        }
      });
    });
  };
  beforeAll(async () => {
    server = serve(dist);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('serves the page at / and at every route of the console, with a policy that allows its own origin only', async () => {
    for (const p of ['/', '/runs/3f2a6c5e-1b2c-4d5e-8f90-123456789abc']) {
      const res = await fetch(base + p);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toContain('<title>console</title>');
    }
    expect(CONSOLE_CSP).toContain("default-src 'self'");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
  });

  it('serves built assets as immutable, and nothing outside the build folder', async () => {
    const js = await fetch(`${base}/assets/app-1a2b.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/missing.js']) {
      const res = await fetch(base + p);
      expect(`${p} ${res.status}`).toBe(`${p} 404`);
      expect(await res.text()).not.toContain('not for the web');
    }
  });

  it("tells the page its identity provider, and lets it reach that provider's origin only", async () => {
    const none = await fetch(`${base}/console-config.json`);
    expect(none.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await none.json()).toEqual({ oidc: null });
    const oidc = { issuer: 'https://idp.bank.example/realms/ops', clientId: 'strongroom-console', scope: 'openid' };
    const withIdp = serve(dist, oidc);
    await new Promise<void>((r) => withIdp.listen(0, '127.0.0.1', r));
    try {
      const at = `http://127.0.0.1:${(withIdp.address() as AddressInfo).port}`;
      expect(await (await fetch(`${at}/console-config.json`)).json()).toEqual({ oidc });
      const page = await fetch(`${at}/auth/callback?code=abc&state=xyz`);
      expect(page.status).toBe(200);
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toBe(consoleCsp(oidc));
      expect(csp).toContain("connect-src 'self' https://idp.bank.example;");
      expect(csp).toContain("script-src 'self';"); // scripts from the page's own origin only, still
    } finally {
      await new Promise<void>((r) => withIdp.close(() => r()));
    }
  });

  it('says how to build the console when it is not built', async () => {
    const bare = serve(path.join(dir, 'nothing-here'));
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(bare.address() as AddressInfo).port}/`);
      expect(res.status).toBe(503);
      expect(await res.text()).toContain('npm run build:console');
    } finally {
      await new Promise<void>((r) => bare.close(() => r()));
    }
  });
});
