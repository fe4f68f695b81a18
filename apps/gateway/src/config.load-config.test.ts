import path from 'node:path';
import { GatewayConfigError, describeConfig, loadConfig } from './config';

const SECRET = 'x'.repeat(32);
const IDP = { GATEWAY_JWT_ISSUER: 'https://idp.bank', GATEWAY_JWT_AUDIENCE: 'strongroom' };

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a configuration error');
}

describe('loadConfig', () => {
  it('applies the documented defaults and freezes the result', () => {
    const config = loadConfig({ GATEWAY_JWT_SECRET: SECRET });
    expect(config).toEqual({
      host: '127.0.0.1',
      port: 4000,
      engineAddress: '127.0.0.1:50051',
      engineDeadlineMs: 5000,
      authEnabled: true,
      consoleDir: path.resolve(__dirname, '..', '..', 'console', 'dist'),
      consoleOidc: null,
      jwtSecret: SECRET,
      production: false,
      logLevel: 'info',
      logFormat: 'pretty',
      maxBodyBytes: 1048576,
      jwks: {},
      queryLimits: { maxDepth: 10, maxAliases: 20, maxOperations: 5, maxCost: 5000, maxTokens: 20_000 },
      rateLimitPerMinute: 600,
      maxTokenLifetimeSeconds: 43_200,
      unauthenticatedRateLimitPerMinute: 60,
      ws: { maxSubscriptionsPerConnection: 10, maxSubscriptionsPerSubject: 25 },
      denials: { reportSeconds: 10, serviceTokenFile: undefined },
      supervised: false,
      metrics: { host: '127.0.0.1', port: 9465 },
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('accepts port 0 and treats empty variables as unset', () => {
    expect(loadConfig({ GATEWAY_JWT_SECRET: SECRET, GATEWAY_PORT: '0' })).toMatchObject({
      port: 0,
      metrics: { port: 0 },
    });
    expect(loadConfig({ GATEWAY_JWT_SECRET: SECRET, GATEWAY_METRICS_PORT: 'off' }).metrics).toBeNull();
    expect(loadConfig({ GATEWAY_JWT_SECRET: SECRET, GATEWAY_PORT: '' }).port).toBe(4000);
  });

  it('names the bad variable and the value it got', () => {
    expect(message(() => loadConfig({ GATEWAY_JWT_SECRET: SECRET, GATEWAY_PORT: '70000' }))).toMatch(
      /GATEWAY_PORT: must be an integer between 0 and 65535 \(got "70000"\)/,
    );
    expect(message(() => loadConfig({ GATEWAY_JWT_SECRET: SECRET, GATEWAY_ENGINE_DEADLINE_MS: 'soon' }))).toMatch(
      /GATEWAY_ENGINE_DEADLINE_MS/,
    );
    expect(message(() => loadConfig({ GATEWAY_JWT_SECRET: SECRET, STRONGROOM_ENGINE: 'engine' }))).toMatch(
      /STRONGROOM_ENGINE/,
    );
    expect(message(() => loadConfig({ GATEWAY_JWT_SECRET: SECRET, LOG_FORMAT: 'xml' }))).toMatch(/LOG_FORMAT/);
  });

  it('requires a JWT secret of at least 32 characters while auth is on, without echoing it', () => {
    expect(message(() => loadConfig({}))).toMatch(/GATEWAY_JWT_SECRET: required/);
    const msg = message(() => loadConfig({ GATEWAY_JWT_SECRET: 'short-secret' }));
    expect(msg).toMatch(/GATEWAY_JWT_SECRET/);
    expect(msg).not.toContain('short-secret');
  });

  it('allows auth off in development only', () => {
    expect(loadConfig({ GATEWAY_AUTH: 'off' })).toMatchObject({ authEnabled: false, jwtSecret: undefined });
    expect(message(() => loadConfig({ GATEWAY_AUTH: 'off', NODE_ENV: 'production' }))).toMatch(/GATEWAY_AUTH/);
  });

  it('switches to production mode on NODE_ENV or STRONGROOM_ENV, with JSON logs by default', () => {
    expect(loadConfig({ ...IDP, GATEWAY_JWKS_FILE: '/etc/idp/jwks.json', STRONGROOM_ENV: 'production' })).toMatchObject(
      {
        production: true,
        logFormat: 'json',
        jwtSecret: undefined,
        jwks: { file: '/etc/idp/jwks.json' },
      },
    );
    expect(
      loadConfig({ ...IDP, GATEWAY_JWKS_URL: 'https://idp.bank/jwks', NODE_ENV: 'production', LOG_FORMAT: 'pretty' })
        .logFormat,
    ).toBe('pretty');
  });

  it('refuses HS256 development tokens in production, and a production gateway without a JWKS', () => {
    expect(
      message(() => loadConfig({ GATEWAY_JWT_SECRET: SECRET, NODE_ENV: 'production', GATEWAY_JWKS_FILE: '/x' })),
    ).toMatch(/HS256 development tokens are not accepted in production/);
    expect(message(() => loadConfig({ NODE_ENV: 'production' }))).toMatch(/GATEWAY_JWKS_FILE/);
    expect(message(() => loadConfig({ GATEWAY_JWKS_FILE: '/x', GATEWAY_JWKS_URL: 'https://idp/jwks' }))).toMatch(
      /not both/,
    );
  });
});

describe('describeConfig', () => {
  it('never includes the secret', () => {
    expect(JSON.stringify(describeConfig(loadConfig({ GATEWAY_JWT_SECRET: SECRET })))).not.toContain(SECRET);
  });

  it('refuses insecure production settings, each with what to change', () => {
    const prod = { ...IDP, NODE_ENV: 'production', GATEWAY_JWKS_URL: 'https://idp.bank/jwks' };
    expect(loadConfig(prod).production).toBe(true);
    expect(message(() => loadConfig({ ...prod, GATEWAY_JWT_ISSUER: '' }))).toMatch(
      /GATEWAY_JWT_ISSUER and GATEWAY_JWT_AUDIENCE/,
    );
    expect(message(() => loadConfig({ ...prod, GATEWAY_JWT_AUDIENCE: '' }))).toMatch(/GATEWAY_JWT_AUDIENCE/);
    expect(message(() => loadConfig({ ...prod, GATEWAY_JWKS_URL: 'http://idp.bank/jwks' }))).toMatch(/https:\/\//);
    expect(message(() => loadConfig({ ...prod, STRONGROOM_ENGINE: '10.0.0.7:50051' }))).toMatch(
      /not on loopback: set STRONGROOM_ENGINE_TLS_CA_FILE/,
    );
    expect(message(() => loadConfig({ ...prod, GATEWAY_RATE_LIMIT_PER_MINUTE: '0' }))).toMatch(/must not be 0/);
    const idpSignIn = {
      CONSOLE_OIDC_ISSUER: 'https://idp.bank/realms/ops',
      CONSOLE_OIDC_CLIENT_ID: 'strongroom-console',
    };
    expect(loadConfig({ ...prod, ...idpSignIn }).consoleOidc).toEqual({
      issuer: 'https://idp.bank/realms/ops',
      clientId: 'strongroom-console',
      scope: 'openid',
    });
    expect(
      message(() => loadConfig({ ...prod, ...idpSignIn, CONSOLE_OIDC_ISSUER: 'http://idp.bank/realms/ops' })),
    ).toMatch(/CONSOLE_OIDC_ISSUER must be https:\/\//);
    expect(message(() => loadConfig({ ...prod, CONSOLE_OIDC_ISSUER: 'https://idp.bank' }))).toMatch(
      /CONSOLE_OIDC_ISSUER and CONSOLE_OIDC_CLIENT_ID go together/,
    );
    expect(message(() => loadConfig({ GATEWAY_JWT_SECRET: SECRET, ...idpSignIn }))).toMatch(
      /CONSOLE_OIDC_ISSUER needs GATEWAY_JWKS_URL/,
    );
    // nothing but an origin and a path: the issuer goes into the page's Content-Security-Policy
    for (const bad of ['https://idp.bank;script-src *', 'http://[::1', 'https://idp.bank/?x=1', 'javascript:alert(1)'])
      expect(message(() => loadConfig({ ...prod, ...idpSignIn, CONSOLE_OIDC_ISSUER: bad }))).toMatch(
        /CONSOLE_OIDC_ISSUER: must be an http\(s\) URL/,
      );
    // the provider's ID tokens (audience: the console's client id) must not pass as access tokens
    expect(message(() => loadConfig({ ...prod, ...idpSignIn, GATEWAY_JWT_AUDIENCE: 'strongroom-console' }))).toMatch(
      /GATEWAY_JWT_AUDIENCE must be the gateway's own audience/,
    );
    // outside production the same settings start (development conveniences)
    expect(
      loadConfig({
        GATEWAY_JWT_SECRET: SECRET,
        STRONGROOM_ENGINE: '10.0.0.7:50051',
        GATEWAY_RATE_LIMIT_PER_MINUTE: '0',
      }).production,
    ).toBe(false);
  });
});
