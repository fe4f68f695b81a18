// The identity provider of the console's browser tests: a real OpenID Connect provider (oidc-provider, the
// certified implementation) rather than a fake, so the console's sign-in is tested the way a bank's IdP runs
// it — authorization code with PKCE (S256) from a public client, the code exchanged by the browser across
// origins (CORS), and RS256 JWT access tokens that the gateway verifies with the keys at the provider's
// jwks_uri. Only the people are made up (the table below), and so is their sign-in: oidc-provider's
// development login form accepts any login name with any password.
//
//   node apps/console/e2e/oidc-idp.mjs --redirect-uri <uri> [--redirect-uri <uri> ...]
//        [--client-id strongroom-console] --audience <aud>
//
// Listens on 127.0.0.1 on a free port and, when ready, prints one JSON line to stdout:
//   {"issuer":"http://127.0.0.1:<port>","jwksUri":"http://127.0.0.1:<port>/jwks"}
// Nothing else goes to stdout (oidc-provider's notices, which it writes with console.info, go to stderr).
// Stops on SIGTERM or SIGINT.
/* global console, fetch, URL -- Node's globals (the lint config declares none for .mjs files) */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import process from 'node:process';
import { parseArgs } from 'node:util';
import Provider, { errors } from 'oidc-provider';

// stdout carries the ready line only: everything that logs (including oidc-provider) writes to stderr
console.log = console.info = console.debug = (...args) => console.error(...args);

/** The test people and their roles; any other login signs in with no role at all. */
const ROLES = { ada: ['operator'], vera: ['viewer'], aude: ['auditor'], root: ['admin'] };
/** Access token lifetime, seconds. */
const ACCESS_TOKEN_TTL = 10 * 60;

const { values: args } = parseArgs({
  options: {
    'redirect-uri': { type: 'string', multiple: true },
    'client-id': { type: 'string', default: 'strongroom-console' },
    audience: { type: 'string' },
  },
  strict: true,
});
const redirectUris = args['redirect-uri'] ?? [];
const clientId = args['client-id'];
const audience = args.audience;
if (redirectUris.length === 0 || !audience) {
  console.error(
    'usage: node apps/console/e2e/oidc-idp.mjs --redirect-uri <uri> [--redirect-uri <uri> ...] [--client-id <id>] --audience <aud>',
  );
  process.exit(2);
}
for (const uri of redirectUris) {
  if (!URL.canParse(uri)) {
    console.error(`oidc-idp: --redirect-uri ${uri} is not an absolute URL`);
    process.exit(2);
  }
}
/** The browser origins the console runs at: the only ones allowed to call the provider across origins. */
const allowedOrigins = new Set(redirectUris.map((uri) => new URL(uri).origin));
// Resource indicators (RFC 8707) must be absolute URIs; the audience need not be one, so a non-URI audience
// gets a URN of its own as the indicator and is still what the token's `aud` says.
const resource = URL.canParse(audience) ? audience : `urn:strongroom:e2e:audience:${encodeURIComponent(audience)}`;

// The signing key, made fresh for each run (no key files): the provider publishes its public half at jwks_uri.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256' };

// The issuer names the port, which is known only once listening: listen first, then build the provider.
let handle = (_req, res) => {
  res.statusCode = 503;
  res.end();
};
const server = http.createServer((req, res) => handle(req, res));
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', resolve);
});
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  jwks: { keys: [signingKey] },
  clients: [
    {
      client_id: clientId,
      application_type: 'web',
      token_endpoint_auth_method: 'none', // public: a single-page app keeps no secret
      grant_types: ['authorization_code'], // no refresh tokens
      response_types: ['code'],
      redirect_uris: redirectUris,
    },
  ],
  responseTypes: ['code'],
  pkce: { required: () => true }, // and S256 is the only method oidc-provider v9 accepts
  // CORS: the token endpoint asks this for a request carrying an Origin (the post-middleware below narrows
  // the endpoints oidc-provider leaves open to any origin — discovery, jwks — and the preflights)
  clientBasedCORS: (_ctx, origin, client) => client.clientId === clientId && allowedOrigins.has(origin),
  features: {
    devInteractions: { enabled: true }, // the built-in login form: any login name, any password
    resourceIndicators: {
      enabled: true,
      // every authorization request is for the gateway's audience, named or not
      defaultResource: () => resource,
      // and so is every token, although `openid` is requested (otherwise: an opaque token for userinfo)
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resource) throw new errors.InvalidTarget();
        return {
          audience,
          scope: '',
          accessTokenFormat: 'jwt',
          accessTokenTTL: ACCESS_TOKEN_TTL,
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
    userinfo: { enabled: false }, // access tokens are for the gateway; there is nothing to ask userinfo
  },
  // The console is first party: no consent screen. The grant (the session's, or a new one) is given what the
  // request asks for, so the consent prompt finds nothing missing; sign-in goes login form → redirect_uri.
  async loadExistingGrant(ctx) {
    const { client, session, result, resourceServers, provider: op } = ctx.oidc;
    const grantId = result?.consent?.grantId || session.grantIdFor(client.clientId);
    let grant = grantId ? await op.Grant.find(grantId) : undefined;
    if (!grant || grant.accountId !== session.accountId)
      grant = new op.Grant({ accountId: session.accountId, clientId: client.clientId });
    const oidcScopes = [...ctx.oidc.requestParamOIDCScopes];
    if (oidcScopes.length > 0) grant.addOIDCScope(oidcScopes.join(' '));
    for (const [indicator, resourceServer] of Object.entries(resourceServers)) {
      const scopes = [...ctx.oidc.requestParamScopes].filter((s) => resourceServer.scopes.has(s));
      if (scopes.length > 0) grant.addResourceScope(indicator, scopes.join(' '));
    }
    await grant.save();
    return grant;
  },
  // Whoever signs in exists; the login name is the subject.
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  // The gateway's role claim, on access tokens only.
  extraTokenClaims: (_ctx, token) =>
    token.kind === 'AccessToken'
      ? { roles: Object.hasOwn(ROLES, token.accountId) ? [...ROLES[token.accountId]] : [] }
      : undefined,
  ttl: {
    AccessToken: ACCESS_TOKEN_TTL,
    AuthorizationCode: 60,
    IdToken: ACCESS_TOKEN_TTL,
    Interaction: 10 * 60,
    Session: 60 * 60,
    Grant: 60 * 60,
  },
  // Cookie names of its own: cookies are per host, not per port, so the console's origin sees them too.
  cookies: {
    names: { session: 'e2e_idp_session', interaction: 'e2e_idp_interaction', resume: 'e2e_idp_resume' },
    keys: [randomBytes(32).toString('base64url')],
  },
  // A plain error page (the default one loads a web font from the internet).
  renderError(ctx, out) {
    const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign-in error</title></head><body>
<h1>Sign-in error</h1>${Object.entries(out)
      .map(([k, v]) => `<p><strong>${escape(k)}</strong>: <span class="${escape(k)}">${escape(v)}</span></p>`)
      .join('')}</body></html>`;
  },
});

// CORS for exactly the console's origins: oidc-provider answers discovery, jwks and every preflight for any
// Origin; take its CORS headers back from a response to any other origin.
provider.use(async (ctx, next) => {
  await next();
  const origin = ctx.get('Origin');
  if (!origin || allowedOrigins.has(origin)) return;
  for (const name of Object.keys(ctx.response.headers))
    if (name.toLowerCase().startsWith('access-control-')) ctx.remove(name);
});
provider.on('server_error', (_ctx, err) => console.error('oidc-idp: server error:', err));

handle = provider.callback();

// Ready: the jwks_uri as discovery publishes it.
const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
process.stdout.write(`${JSON.stringify({ issuer, jwksUri: discovery.jwks_uri })}\n`);

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
