// The operator console (apps/console, a static build) served by the gateway at `/`, from its own origin:
// one origin for the page, its GraphQL calls and its WebSocket, so nothing crosses origins and nothing is
// loaded from elsewhere (the Content-Security-Policy says so to the browser). Files are read from the build
// folder only — a path that leaves it is refused — and every path without a file extension is the page
// itself (the console's own routes, such as /runs/<id>, survive a reload).
import { type IncomingMessage, type ServerResponse } from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

/** The build folder of apps/console, next to this app's source. */
export const DEFAULT_CONSOLE_DIR = path.resolve(__dirname, '..', '..', 'console', 'dist');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The console's sign-in through the bank's identity provider (OpenID Connect, code + PKCE), when configured. */
export interface ConsoleOidc {
  readonly issuer: string;
  readonly clientId: string;
  readonly scope: string;
}

/**
 * What the browser may do with the console's pages: its own origin only (WebSocket included), no framing —
 * and, with an identity provider, fetch its discovery document and exchange the sign-in code at its origin.
 */
export function consoleCsp(oidc?: ConsoleOidc | null): string {
  const idp = oidc ? ` ${new URL(oidc.issuer).origin}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self'${idp}`,
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const CONSOLE_CSP = consoleCsp();

/** The console's own settings, read by the page at start (`/console-config.json`): nothing secret. */
export const CONSOLE_CONFIG_PATH = '/console-config.json';

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>Strongroom console</title>
<body><h1>The operator console is not built</h1>
<p>Build it with <code>npm run build:console</code> (<code>npm start</code> and <code>npx strongroom serve</code> do it for you),
or turn it off with <code>GATEWAY_CONSOLE_DIR=off</code>. The GraphQL endpoint is <a href="/graphql">/graphql</a>.</p></body></html>\n`;

function securityHeaders(res: ServerResponse, csp: string): void {
  res.setHeader('content-security-policy', csp);
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
}

/**
 * A request handler for the console's files under `dir`; resolves false for what is not the console's
 * (so the caller answers 404), true once it answered.
 */
export function consoleSite(
  dir: string,
  oidc: ConsoleOidc | null = null,
): (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<boolean> {
  const root = path.resolve(dir);
  const csp = consoleCsp(oidc);
  const settings = Buffer.from(
    JSON.stringify({ oidc: oidc ? { issuer: oidc.issuer, clientId: oidc.clientId, scope: oidc.scope } : null }),
  );
  return async (req, res, pathname) => {
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') return false;
    if (pathname === CONSOLE_CONFIG_PATH) {
      securityHeaders(res, csp);
      res.statusCode = 200;
      res.setHeader('content-type', TYPES['.json'] as string);
      res.setHeader('cache-control', 'no-cache');
      res.setHeader('content-length', String(settings.length));
      res.end(method === 'HEAD' ? undefined : settings);
      return true;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(pathname);
    } catch {
      return false;
    }
    if (rel.includes('\0') || rel.split(/[\\/]/).includes('..')) return false;
    const asked = path.join(root, rel);
    if (asked !== root && !asked.startsWith(root + path.sep)) return false;
    const isPage = path.extname(rel) === '';
    const file = isPage ? path.join(root, 'index.html') : asked;
    let body: Buffer;
    try {
      body = await fs.promises.readFile(file);
    } catch {
      if (!isPage) return false;
      securityHeaders(res, csp);
      res.statusCode = 503;
      res.setHeader('content-type', TYPES['.html'] as string);
      res.end(method === 'HEAD' ? undefined : NOT_BUILT);
      return true;
    }
    securityHeaders(res, csp);
    res.statusCode = 200;
    res.setHeader('content-type', TYPES[path.extname(file)] ?? 'application/octet-stream');
    // built assets carry their content hash in their names; the page itself is checked on every load
    res.setHeader('cache-control', rel.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    res.setHeader('content-length', String(body.length));
    res.end(method === 'HEAD' ? undefined : body);
    return true;
  };
}
