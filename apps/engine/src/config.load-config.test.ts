import path from 'node:path';
import { defaultRunThreads } from '@strongroom/config';
import { loadConfig } from './config';

describe('loadConfig', () => {
  it('applies documented defaults', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u@localhost/db' });
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 50051,
      maxConcurrentRuns: 2,
      dbPoolSize: 10,
      statementTimeoutMs: 60000,
    });
    expect(c.panKeyFile).toBe(path.resolve('.strongroom', 'keys', 'pan-hmac.key'));
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('takes the run threads from ENGINE_RUN_THREADS (0 turns them off), else the cores beyond two', () => {
    const base = { DATABASE_URL: 'postgres://u@localhost/db' };
    expect(loadConfig(base).runThreads).toBe(defaultRunThreads());
    expect(loadConfig({ ...base, ENGINE_RUN_THREADS: '0' }).runThreads).toBe(0);
    expect(loadConfig({ ...base, ENGINE_RUN_THREADS: '3' }).runThreads).toBe(3);
    expect(() => loadConfig({ ...base, ENGINE_RUN_THREADS: '65' })).toThrow(/ENGINE_RUN_THREADS/);
    expect(() => loadConfig({ ...base, ENGINE_RUN_THREADS: 'two' })).toThrow(/ENGINE_RUN_THREADS/);
  });

  it('derives the client-side database timeout from statement_timeout and refuses one that would fire first', () => {
    const base = { DATABASE_URL: 'postgres://u@localhost/db' };
    expect(loadConfig(base)).toMatchObject({ clientTimeoutMs: 65_000, connectTimeoutMs: 10_000 });
    expect(loadConfig({ ...base, DB_STATEMENT_TIMEOUT_MS: '2000' }).clientTimeoutMs).toBe(7000);
    expect(loadConfig({ ...base, DB_STATEMENT_TIMEOUT_MS: '0' }).clientTimeoutMs).toBe(0);
    expect(loadConfig({ ...base, DB_STATEMENT_TIMEOUT_MS: '2000', DB_CLIENT_TIMEOUT_MS: '3000' }).clientTimeoutMs).toBe(
      3000,
    );
    expect(() => loadConfig({ ...base, DB_STATEMENT_TIMEOUT_MS: '2000', DB_CLIENT_TIMEOUT_MS: '2000' })).toThrow(
      /DB_CLIENT_TIMEOUT_MS must be above DB_STATEMENT_TIMEOUT_MS/,
    );
  });

  it('fails fast naming the bad variable without echoing the database URL', () => {
    expect(() => loadConfig({})).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://secret@x/db' })).toThrow(
      /^invalid engine configuration: DATABASE_URL: must be a postgres:\/\/ URL$/,
    );
    expect(() => loadConfig({ DATABASE_URL: 'postgres://x/db', ENGINE_PORT: 'eighty' })).toThrow(
      /ENGINE_PORT: must be an integer between 0 and 65535 \(got "eighty"\)/,
    );
  });

  it('refuses in production an engine listening beyond loopback without TLS', () => {
    const prod = {
      DATABASE_URL: 'postgres://u@localhost/db',
      DATABASE_RUNTIME_URL: 'postgres://engine@localhost/db',
      STRONGROOM_ENV: 'production',
      GATEWAY_JWKS_FILE: '/idp/jwks.json',
      GATEWAY_JWT_ISSUER: 'https://idp.bank',
      GATEWAY_JWT_AUDIENCE: 'strongroom',
    };
    expect(() => loadConfig({ ...prod, ENGINE_HOST: '0.0.0.0' })).toThrow(/ENGINE_HOST 0\.0\.0\.0 is not loopback/);
    expect(loadConfig({ ...prod, ENGINE_HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(
      loadConfig({
        ...prod,
        ENGINE_HOST: '0.0.0.0',
        ENGINE_TLS_CERT_FILE: '/tls/engine.crt',
        ENGINE_TLS_KEY_FILE: '/tls/engine.key',
      }).host,
    ).toBe('0.0.0.0');
    expect(loadConfig({ DATABASE_URL: 'postgres://u@localhost/db', ENGINE_HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });

  it('verifies callers with the development secret outside production, and only with a JWKS, issuer and audience in production', () => {
    const base = { DATABASE_URL: 'postgres://u@localhost/db' };
    expect(loadConfig(base).auth).toMatchObject({ hs256Secret: 'dev-file', jwksFile: undefined });
    expect(loadConfig({ ...base, GATEWAY_JWT_SECRET: 's'.repeat(32) }).auth.hs256Secret).toBe('s'.repeat(32));
    const prod = { ...base, DATABASE_RUNTIME_URL: 'postgres://engine@localhost/db', STRONGROOM_ENV: 'production' };
    expect(() => loadConfig(prod)).toThrow(/GATEWAY_JWKS_FILE with GATEWAY_JWT_ISSUER and GATEWAY_JWT_AUDIENCE/);
    expect(() =>
      loadConfig({
        ...prod,
        GATEWAY_JWKS_FILE: '/idp/jwks.json',
        GATEWAY_JWT_ISSUER: 'https://idp.bank',
        GATEWAY_JWT_AUDIENCE: 'sr',
        GATEWAY_JWT_SECRET: 's'.repeat(32),
      }),
    ).toThrow(/HS256 development tokens\) is refused/);
    expect(
      loadConfig({
        ...prod,
        GATEWAY_JWKS_FILE: '/idp/jwks.json',
        GATEWAY_JWT_ISSUER: 'https://idp.bank',
        GATEWAY_JWT_AUDIENCE: 'sr',
      }).auth,
    ).toMatchObject({ hs256Secret: undefined, jwksFile: '/idp/jwks.json' });
    // or the provider's JWKS URL — over https only in production, and never both
    const idp = { GATEWAY_JWT_ISSUER: 'https://idp.bank', GATEWAY_JWT_AUDIENCE: 'sr' };
    expect(loadConfig({ ...prod, ...idp, GATEWAY_JWKS_URL: 'https://idp.bank/jwks' }).auth).toMatchObject({
      jwksUrl: 'https://idp.bank/jwks',
      jwksFile: undefined,
    });
    expect(() => loadConfig({ ...prod, ...idp, GATEWAY_JWKS_URL: 'http://idp.bank/jwks' })).toThrow(
      /GATEWAY_JWKS_URL must be https/,
    );
    expect(() =>
      loadConfig({ ...base, GATEWAY_JWKS_URL: 'https://idp.bank/jwks', GATEWAY_JWKS_FILE: '/idp/jwks.json' }),
    ).toThrow(/GATEWAY_JWKS_FILE or GATEWAY_JWKS_URL, not both/);
  });

  it('requires in production a separate runtime login for the engine (the owner only migrates)', () => {
    const prod = {
      DATABASE_URL: 'postgres://owner@localhost/db',
      STRONGROOM_ENV: 'production',
      GATEWAY_JWKS_FILE: '/idp/jwks.json',
      GATEWAY_JWT_ISSUER: 'https://idp.bank',
      GATEWAY_JWT_AUDIENCE: 'sr',
    };
    expect(() => loadConfig(prod)).toThrow(/DATABASE_RUNTIME_URL is required/);
    expect(loadConfig({ ...prod, DATABASE_RUNTIME_URL: 'postgres://engine:pw@localhost/db' }).runtimeDatabaseUrl).toBe(
      'postgres://engine:pw@localhost/db',
    );
    // outside production the engine provisions its own runtime login
    expect(loadConfig({ DATABASE_URL: 'postgres://owner@localhost/db' }).runtimeDatabaseUrl).toBeUndefined();
  });
});
