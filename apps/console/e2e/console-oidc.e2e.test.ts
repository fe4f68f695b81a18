// The console's sign-in through an identity provider in a real browser: a real OpenID Connect provider
// (oidc-idp.mjs), authorization code with PKCE, the code redeemed by the page across origins, and the access
// token verified by the gateway (and the engine) against the provider's published keys — its roles from
// the token's `roles` claim.
import path from 'node:path';
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { makeTempDir } from '@strongroom/testing';
import { freePort, startIdp, type TestIdp } from './idp';
import { chromiumPath, ROOT, serveStack, type ServedStack } from './stack';

const browserPath = chromiumPath();
const withBrowser = browserPath ? describe : describe.skip;

withBrowser('the console signed in through an identity provider (OpenID Connect, code + PKCE)', () => {
  let stack: ServedStack;
  let idp: TestIdp;
  let browser: Browser;
  let page: Page;
  let origin = '';
  const shots = process.env['STRONGROOM_SCREENSHOTS']
    ? path.resolve(ROOT, process.env['STRONGROOM_SCREENSHOTS'])
    : makeTempDir('strongroom-shots-');

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    idp = await startIdp(`${origin}/auth/callback`, 'strongroom-gateway');
    stack = await serveStack({
      GATEWAY_PORT: String(port),
      GATEWAY_JWKS_URL: idp.jwksUri,
      GATEWAY_JWT_ISSUER: idp.issuer,
      GATEWAY_JWT_AUDIENCE: 'strongroom-gateway',
      CONSOLE_OIDC_ISSUER: idp.issuer,
      CONSOLE_OIDC_CLIENT_ID: 'strongroom-console',
    });
    browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await idp?.stop();
  }, 90_000);

  const freshPage = async () => {
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    // the provider's development login page asks a web font of Google's: not ours to load, and offline here
    await page.route(/fonts\.(googleapis|gstatic)\.com/, (r) => r.abort());
  };

  const signInAs = async (login: string) => {
    await page.goto(`${origin}/`);
    await page.getByRole('button', { name: 'Sign in with your identity provider' }).click();
    await page.waitForURL((u) => u.origin === new URL(idp.issuer).origin);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill('any password: the test provider takes any');
    await page.locator('button[type="submit"]').click();
  };

  it('signs a person in at the provider and back, with the roles the provider gave, and keeps them on reload', async () => {
    await freshPage();
    await signInAs('ada');
    await page.locator('.who .subject').waitFor();
    await expect(page.locator('.who .subject').textContent()).resolves.toBe('ada');
    await expect(page.locator('.who .roles').textContent()).resolves.toBe('operator');
    // the code left the address bar; only the access token stays, in this tab
    expect(new URL(page.url()).pathname).toBe('/');
    expect(page.url()).not.toContain('code=');
    const token = await page.evaluate(() => window.sessionStorage.getItem('strongroom.token'));
    expect(token?.split('.')).toHaveLength(3);
    expect(await page.evaluate(() => window.sessionStorage.getItem('strongroom.oidc'))).toBeNull();
    // the runs list came from the engine: the provider's token passed the gateway and the engine
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
    await page.reload();
    await expect(page.locator('.who .subject').textContent()).resolves.toBe('ada');
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, 'console-signed-in-with-idp.png') });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in with your identity provider' }).waitFor();
  });

  it('gives a viewer of the provider no actions, and refuses a callback this tab did not start', async () => {
    await freshPage();
    await signInAs('vera');
    await expect(page.locator('.who .roles').textContent()).resolves.toBe('viewer');
    await expect(page.getByRole('link', { name: 'Dead letters' }).count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Sign out' }).click();

    // a code and state handed in from elsewhere (a forged link) are not redeemed
    await page.goto(`${origin}/auth/callback?code=stolen&state=forged`);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('No sign-in was started in this tab');
    expect(await page.evaluate(() => window.sessionStorage.getItem('strongroom.token'))).toBeNull();
    expect(new URL(page.url()).search).toBe('');
  });
});
