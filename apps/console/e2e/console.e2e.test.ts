// The operator console in a real browser (Debian's chromium through playwright-core) against a real stack
// (`strongroom serve`). Screenshots go to STRONGROOM_SCREENSHOTS when set (docs/images for the docs), else
// to a temporary folder.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { generateTransactionsCsv } from '@strongroom/datagen';
import { holdTableLock, makeTempDir, runCli } from '@strongroom/testing';
import { chromiumPath, ROOT, serveStack, type ServedStack } from './stack';

const browserPath = chromiumPath();
if (!browserPath)
  console.warn(
    'console browser tests did NOT run: no chromium here. Install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH; .ci/run installs it.',
  );
const withBrowser = browserPath ? describe : describe.skip;

withBrowser('the operator console in a real browser', () => {
  let stack: ServedStack;
  let browser: Browser;
  let page: Page;
  /** The run the second test loads (its dead letters are the third test's). */
  let loadedRun = '';
  const shots = process.env['STRONGROOM_SCREENSHOTS']
    ? path.resolve(ROOT, process.env['STRONGROOM_SCREENSHOTS'])
    : makeTempDir('strongroom-shots-');
  const shot = async (name: string) => {
    fs.mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
  };

  beforeAll(async () => {
    stack = await serveStack();
    browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 90_000);

  const signIn = async (token: string) => {
    await page.getByLabel('Bearer token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.who .subject').waitFor(); // signed in: the gateway said who this is
  };

  it('serves the console from the gateway itself, with nothing from elsewhere, and signs in with a token', async () => {
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const res = await page.goto(stack.consoleUrl);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("default-src 'self'");
    await page.getByLabel('Bearer token').waitFor();
    await shot('console-sign-in');
    await page.getByLabel('Bearer token').fill('not a token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('not a bearer token');
    await signIn(stack.tokens.operator);
    await expect(page.locator('.who .subject').textContent()).resolves.toBe('dev-operator');
    const origin = new URL(stack.consoleUrl).origin;
    expect(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('ws://'))).toEqual([]);
  });

  it('shows a viewer a running run without actions, an operator with them, and the run reaching SUCCEEDED live with its plot', async () => {
    const inbox = path.join(stack.home, 'inbox');
    fs.mkdirSync(inbox, { recursive: true });
    const csv = path.join(inbox, 'console-e2e.csv');
    await generateTransactionsCsv(csv, { rows: 120_000, badRatio: 0.01, cardRatio: 0.1, idPrefix: 'E2E' });
    const jobFile = path.join(inbox, 'console-e2e.yaml');
    fs.writeFileSync(
      jobFile,
      `name: console-e2e\nsource:\n  kind: csv\n  path: console-e2e.csv\n  mapping: { txn_id: id, account: account_iban, counterparty_account: counterparty_iban, counterparty_name: counterparty_name, amount: amount, currency: currency, booked_at: booked_at, value_date: value_date, reference: reference, card_pan: card_number }\nerrors: { maxRejectRatio: 0.05 }\ncompliance: { frameworks: [AML], sanctions: off }\n`,
    );
    // the run's first batch waits on a lock the test holds, so the run is surely RUNNING while we look
    const release = await holdTableLock(stack.databaseUrl, 'transactions');
    let runId: string;
    try {
      const started = await runCli(['run', jobFile, '--detach', '--json'], stack.env);
      expect(started.code).toBe(0);
      runId = (JSON.parse(started.stdout) as { runId: string }).runId;
      expect(runId).toMatch(/^[0-9a-f-]{36}$/);

      // a viewer: the run, live, and no action
      await page.getByRole('button', { name: 'Sign out' }).click();
      await signIn(stack.tokens.viewer);
      await page.goto(new URL(`/runs/${runId}`, stack.consoleUrl).toString());
      await expect(page.getByTestId('run-status').textContent()).resolves.toMatch(/running|pending/);
      expect(await page.getByRole('button', { name: /Pause|Cancel run|Resume/ }).count()).toBe(0);
      await shot('console-run-viewer');

      // an operator: the same run, with its actions
      await page.getByRole('button', { name: 'Sign out' }).click();
      await signIn(stack.tokens.operator);
      await page.goto(new URL(`/runs/${runId}`, stack.consoleUrl).toString());
      await page.getByRole('button', { name: 'Pause' }).waitFor();
      expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(1);
      // an action needs a reason first; the pause takes effect after the batch the lock holds up
      expect(await page.getByRole('button', { name: 'Pause' }).isDisabled()).toBe(true);
      await page.getByLabel(/^Reason \(required; recorded in the audit chain/).fill('month-end check of the feed');
      await page.getByRole('button', { name: 'Pause' }).click();
    } finally {
      await release();
    }
    await page.getByTestId('run-status').filter({ hasText: 'paused' }).waitFor({ timeout: 60_000 });
    await page.getByText('paused by operator: month-end check of the feed').waitFor();
    await page.getByLabel(/^Reason \(required; recorded in the audit chain/).fill('feed checked');
    await page.getByRole('button', { name: 'Resume' }).click();
    // the run goes on and ends while the page watches it
    await page.getByTestId('run-status').filter({ hasText: 'succeeded' }).waitFor({ timeout: 120_000 });
    // the plot: the live points, then the run's whole history once it ended
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="throughput-plot"]')?.getAttribute('data-points')) >= 2,
    );
    await expect(page.getByTestId('conservation').textContent()).resolves.toMatch(/^✓ 120,000 read = /);
    await expect(page.getByTestId('reconciled').textContent()).resolves.toContain('✓');
    expect(await page.getByRole('heading', { name: 'Dead letters by reason' }).count()).toBe(1);
    await shot('console-run');
    loadedRun = runId;

    // the list shows it; a reload keeps the person signed in and on the page
    await page.goto(stack.consoleUrl);
    await page.getByRole('link', { name: 'console-e2e' }).first().waitFor();
    await shot('console-runs');
    await page.goto(new URL(`/runs/${runId}`, stack.consoleUrl).toString());
    await page.reload();
    await page.getByTestId('run-status').filter({ hasText: 'succeeded' }).waitFor();
    await expect(page.locator('.who .subject').textContent()).resolves.toBe('dev-operator');

    // signing out forgets the token: the sign-in page, also after a reload
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Bearer token').waitFor();
    await page.reload();
    await page.getByLabel('Bearer token').waitFor();
    expect(await page.evaluate(() => window.sessionStorage.length)).toBe(0);
  });
  it('replays a corrected dead letter and discards a selection with a reason; a viewer is not offered the page', async () => {
    expect(loadedRun).not.toBe('');
    await page.goto(new URL(`/dead-letters?run=${loadedRun}`, stack.consoleUrl).toString());
    await signIn(stack.tokens.operator); // the previous test ended signed out
    await page.getByRole('heading', { name: 'Dead letters of a run' }).waitFor();
    await page.locator('option[value="INVALID_CURRENCY"]').waitFor({ state: 'attached' });
    await page.locator('#dlq-reason').selectOption('INVALID_CURRENCY');
    const rows = page.locator('table.dead-letters tbody tr').filter({ hasText: 'INVALID_CURRENCY' });
    await rows.first().waitFor();
    // a record without a masked card number: its corrected line carries nothing the checks would refuse
    const plain = rows.filter({ hasNotText: '*' }).first();
    const letterId = (
      (await plain.getByRole('button', { name: /Correct dead letter/ }).getAttribute('aria-label')) ?? ''
    ).replace('Correct dead letter ', '');
    await plain.getByRole('button', { name: /Correct dead letter/ }).click();
    const editor = page.getByLabel(/The record, corrected/);
    const raw = await editor.inputValue();
    expect(raw).toContain(',XXQ,');
    // the currency was a typo; EUR has two decimal places (the generator drew the amount for another currency)
    await editor.fill(
      raw.replace(
        /,(-?\d+)(?:\.(\d{1,2})\d*)?,XXQ,/,
        (_m, units: string, cents = '00') => `,${units}.${cents.padEnd(2, '0')},EUR,`,
      ),
    );
    await page.getByLabel(/^Reason \(recorded/).fill('currency code typo, checked with the branch');
    await page.getByRole('button', { name: 'Replay corrected record' }).click();
    const said = page.locator('div[aria-live="polite"] p').first();
    await said.waitFor();
    expect(await said.textContent()).toBe('Replayed: 1 loaded.');
    await shot('console-dead-letters');
    // the rest of that reason, discarded in bulk with the reason
    await page.locator('tbody tr').filter({ hasText: `INVALID_CURRENCY` }).first().waitFor();
    const left = await page.locator('tbody tr').filter({ hasText: 'INVALID_CURRENCY' }).count();
    expect(left).toBeGreaterThan(0);
    await page.getByLabel('Select all shown').check();
    await page.getByLabel(/^Reason \(recorded/).fill('duplicates of corrected records');
    await page.getByRole('button', { name: /Discard selected/ }).click();
    await page.getByText(/^Discarded: /).waitFor();
    expect(await said.textContent()).toBe(`Discarded: ${left}.`);
    expect(letterId).toMatch(/^\d+$/);

    // a viewer is not offered dead letters at all
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(stack.tokens.viewer);
    expect(await page.getByRole('link', { name: 'Dead letters' }).count()).toBe(0);
  });
  it('works the alert queue as an auditor, verifies the audit chain, and refuses an operator an admin mutation', async () => {
    // the previous test ended signed in as a viewer
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(stack.tokens.auditor);
    await page.goto(new URL('/alerts', stack.consoleUrl).toString());
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    const first = page.getByRole('button', { name: /^Open alert / }).first();
    await first.waitFor();
    // the queue comes from the engine in priority order: highest score first over every open alert
    const scores = (await page.locator('table td.num').allTextContents()).map(Number);
    expect(scores.length).toBeGreaterThan(0);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    await first.click();
    await page.getByRole('heading', { name: /score/ }).waitFor();
    await page.getByLabel(/^Reason \(recorded with you/).fill('amount far above the customer profile');
    await page.getByRole('button', { name: 'Escalate' }).click();
    await page.getByText('Escalated.').waitFor();
    await shot('console-alerts');

    await page.goto(new URL('/audit', stack.consoleUrl).toString());
    await page.getByRole('button', { name: 'Verify now' }).click();
    await expect(page.getByTestId('chain-verdict').textContent()).resolves.toMatch(
      /^✓ The chain verifies: [\d,]+ entries\.$/,
    );
    await page.locator('#audit-action').fill('alert:escalated');
    await page.locator('table code', { hasText: 'alert:escalated' }).first().waitFor(); // the entry just made
    // the operator's pause and resume, each with the reason given, by the operator
    await page.locator('#audit-action').fill('run:paused');
    const paused = page.locator('table', { hasText: 'paused by operator: month-end check of the feed' });
    await paused.waitFor();
    await expect(paused.textContent()).resolves.toContain('user:dev-operator');
    await page.locator('#audit-action').fill('run:resumed');
    await page.locator('table', { hasText: 'feed checked' }).waitFor();
    await page.locator('#audit-action').fill('');
    // the chain at a glance: the verification just made is the latest, by this auditor
    await expect(page.getByTestId('last-verification').textContent()).resolves.toMatch(/✓ .* by user:dev-auditor/);
    await shot('console-audit');

    // an operator is offered no admin action, and the gateway refuses one sent around the page
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(stack.tokens.operator);
    const answer = await page.evaluate(async () => {
      const token = window.sessionStorage.getItem('strongroom.token') ?? '';
      const res = await fetch('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: 'mutation { purgeExpired(dryRun: false, reason: "try") { purged } }' }),
      });
      return (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
    });
    expect(answer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('opens the bundled GraphQL explorer from /graphql in a browser and runs a query as the signed-in person', async () => {
    await page.goto(stack.consoleUrl);
    const signOut = page.getByRole('button', { name: 'Sign out' });
    if (await signOut.isVisible()) await signOut.click();
    await signIn(stack.tokens.operator);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('websocket', (w) => requests.push(w.url()));
    const introspected = page.waitForResponse(
      (r) => r.url().endsWith('/graphql') && (r.request().postData() ?? '').includes('IntrospectionQuery'),
    );
    const res = await page.goto(new URL('/graphql', stack.consoleUrl).toString());
    expect(new URL(page.url()).pathname).toBe('/explorer');
    expect(res?.status()).toBe(200);
    await page.locator('.graphiql-container .graphiql-query-editor').waitFor();
    // the explorer loads the schema (the standard introspection query passes the gateway's limits)
    expect((await introspected).status()).toBe(200);
    // the editor holds the first query before it is run (a click before the editor is ready runs nothing)
    await page.locator('.graphiql-query-editor').getByText('LatestRuns').first().waitFor();
    await page.locator('button.graphiql-execute-button').click();
    const result = page.locator('.graphiql-response');
    await result.getByText('"dev-operator"').waitFor();
    await shot('console-explorer');
    const origin = new URL(stack.consoleUrl);
    const own = [origin.origin, `ws://${origin.host}/`];
    expect(requests.filter((u) => !own.some((o) => u.startsWith(o)))).toEqual([]);
    page.removeAllListeners('request');
    page.removeAllListeners('websocket');
    // the explorer's tabs and history stay in this tab and go with the person
    expect(await page.evaluate(() => Object.keys(window.sessionStorage).some((k) => k.startsWith('graphiql')))).toBe(
      true,
    );
    expect(await page.evaluate(() => Object.keys(window.localStorage).some((k) => k.startsWith('graphiql')))).toBe(
      false,
    );
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Bearer token').waitFor();
    expect(await page.evaluate(() => window.sessionStorage.length)).toBe(0);
  });
});
