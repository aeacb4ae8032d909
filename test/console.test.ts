import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { CONSOLE_ROOT, registerConsole } from '../src/http/console.js';
import { type TestDatabase, createTestDatabase } from './harness.js';
import { BOOTSTRAP_ADMIN_KEY, type ServerProcess, killAllServers, startServer } from './server-process.js';
import { startReceiver } from './webhook-receiver.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.resolve(import.meta.dirname, '../test-results/console');
const hasChromium = fs.existsSync(CHROMIUM);

if (!hasChromium) {
  if (process.env.CI) throw new Error(`Chromium is required in CI but ${CHROMIUM} is missing (.ci/run installs it)`);
  console.warn(
    `\n  NOTICE: ${CHROMIUM} is missing, so the console's browser tests are SKIPPED.\n` +
      '  Install it with: apt-get install -y chromium\n',
  );
}

describe('serving the console files', () => {
  const build = async (files: Record<string, string>) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-console-'));
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
      fs.writeFileSync(path.join(root, name), text);
    }
    const app = Fastify();
    await registerConsole(app, root);
    const done = async () => {
      await app.close();
      fs.rmSync(root, { recursive: true, force: true });
    };
    return { app, done };
  };

  it('answers every page of the app with index.html, so deep links survive a refresh, and hashed assets for good', async () => {
    const { app, done } = await build({ 'index.html': '<!doctype html><title>console</title>', 'assets/app-1a2b.js': 'export {}' });
    for (const url of ['/console', '/console/', '/console/members/usr_01', '/console/lookup?code=PROMO-1']) {
      const page = await app.inject({ url });
      expect(page.statusCode, url).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      expect(page.headers['cache-control']).toBe('no-cache');
    }
    const asset = await app.inject({ url: '/console/assets/app-1a2b.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await app.inject({ url: '/console/assets/missing.js' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/console/../package.json' })).statusCode).not.toBe(200);
    await done();
  });

  it('says the console is not built rather than failing to start', async () => {
    const { app, done } = await build({});
    const page = await app.inject({ url: '/console/members' });
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('npm run build');
    await done();
  });
});

/**
 * The web console in a real browser against a real server process: an administrator's whole day,
 * through the pages only, with a screenshot of each page in test-results/console/.
 */
describe.skipIf(!hasChromium)('the web console at /console', () => {
  let database: TestDatabase;
  let server: ServerProcess;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let context: BrowserContext;
  let page: Page;
  let profile: string;

  const api = async (method: string, url: string, body?: unknown) => {
    const response = await fetch(`${server.url}${url}`, {
      method,
      headers: { authorization: `Bearer ${BOOTSTRAP_ADMIN_KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  };
  const open = (route: string) => page.goto(`${server.url}/console${route}`);
  const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
  // A string is an element's whole text; a pattern may be part of one.
  const see = (text: string | RegExp) => page.getByText(text, { exact: true }).first().waitFor();
  const heading = (name: string) => page.getByRole('heading', { level: 1, name }).waitFor();
  const nav = (name: string) => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }).click();

  beforeAll(async () => {
    if (!fs.existsSync(path.join(CONSOLE_ROOT, 'index.html'))) {
      throw new Error('The console is not built: run npm run build:console (npm test does)');
    }
    fs.rmSync(SCREENSHOTS, { recursive: true, force: true });
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    receiver = await startReceiver();
    database = await createTestDatabase('sqlite');
    server = await startServer(database.url, { env: { TESSERA_WEBHOOK_ALLOW_PRIVATE: 'true' } });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
      locale: 'en-GB',
      timezoneId: 'UTC',
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(60_000);
    // Destructive actions ask first; the administrator says yes.
    page.on('dialog', (dialog) => void dialog.accept());
    page.on('pageerror', (error) => browserErrors.push(error.message));
  });

  // A failing step leaves a picture of what the browser showed, and what it logged.
  const browserErrors: string[] = [];
  afterEach(async (test) => {
    if (test.task.result?.state === 'fail' && page) {
      await page.screenshot({ path: path.join(SCREENSHOTS, `failed-${test.task.name.replace(/\W+/g, '-')}.png`), fullPage: true });
      if (browserErrors.length) console.error(`The browser reported:\n${browserErrors.join('\n')}`);
    }
  });

  afterAll(async () => {
    await context?.close();
    await killAllServers();
    await receiver?.close();
    await database?.drop();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  let code = '';

  it('signs in with an admin key only, kept for the tab and never in the URL', async () => {
    await open('/');
    await heading('Sign in');
    await page.getByLabel('Admin API key').fill('tsk_not_a_key_of_this_program_0000000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await see('This key is unknown or has been revoked.');
    await shot('01-sign-in');

    await page.getByLabel('Admin API key').fill(BOOTSTRAP_ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await heading('Overview');
    expect(page.url()).not.toContain(BOOTSTRAP_ADMIN_KEY);

    // API keys: a pos key for the till, shown once.
    await nav('API keys');
    await heading('API keys');
    await page.getByLabel('Role').selectOption('pos');
    await page.getByLabel('Name').fill('Till 7');
    await page.getByLabel('Venue (pos keys)').fill('store-042');
    await page.getByRole('button', { name: 'Create key' }).click();
    const posKey = (await page.locator('.secret').textContent()) ?? '';
    expect(posKey).toMatch(/^tsk_/);
    await see('store-042');
    await shot('02-api-keys');
    await page.getByRole('button', { name: 'Done' }).click();

    // A key that works but is not an admin key is told so.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin API key').fill(posKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await see(/This key works, but it is not an admin key/);
    // By keyboard: type the key and press Enter. Signing in again goes back to the page that was open.
    await page.getByLabel('Admin API key').fill(BOOTSTRAP_ADMIN_KEY);
    await page.getByLabel('Admin API key').press('Enter');
    await heading('API keys');

    // A refresh keeps the session (sessionStorage) and the page (the URL).
    await nav('Rewards');
    await page.reload();
    await heading('Rewards');
    // The first Tab reaches the link that skips the navigation.
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
  });

  it('creates a PROMO-{code} reward, with the API’s field errors beside the fields and a live code preview', async () => {
    await open('/rewards');
    await page.getByRole('link', { name: 'New reward' }).click();
    await heading('New reward');
    await page.getByLabel('Name', { exact: true }).fill('Free slice of cake');
    await page.getByLabel('Price in points').fill('100');
    await page.getByLabel('Code format').fill('PROMO-');
    await page.getByLabel('Valid for (days)').fill('30');
    await page.getByRole('button', { name: 'Add an incentive' }).click();
    const incentive = page.getByRole('group', { name: 'Incentive 1' });
    await incentive.getByLabel('Type').selectOption('PRICE_OVERRIDE');
    await incentive.getByLabel('Price').fill('0');
    await incentive.getByLabel('Currency').fill('GBP');
    await incentive.getByLabel('Product SKU').fill('CAKE-1');
    await page.getByRole('button', { name: 'Create reward' }).click();

    // The API refuses the format; its message is shown beside the field, naming it by its label.
    const formatError = page.locator('#field-codeFormat-error');
    await formatError.waitFor();
    expect(await formatError.textContent()).toContain('{code}');
    expect(await formatError.textContent()).toMatch(/^Code format /);
    await shot('03-reward-form-errors');

    await page.getByLabel('Code format').fill('PROMO-{code}');
    expect(await page.getByTestId('example-code').textContent()).toMatch(/^PROMO-[0-9A-HJKMNP-TV-Z]{8}$/);
    expect(await page.getByTestId('guessability').textContent()).toContain('40 bits');
    await shot('04-reward-form');
    await page.getByRole('button', { name: 'Create reward' }).click();
    await heading('Free slice of cake');
    await see('price £0.00 for CAKE-1');

    // Editing sends only what changed.
    await page.getByRole('link', { name: 'Edit' }).click();
    await heading('Edit Free slice of cake');
    await page.getByLabel('Stock').fill('50');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await heading('Free slice of cake');
    await page.locator('.details div', { hasText: 'Stock' }).filter({ hasText: '50' }).waitFor();
    await shot('05-reward');

    await nav('Rewards');
    await see('PROMO-{code}');
    await shot('06-rewards');
  });

  it('creates a member, credits points and buys the reward on their behalf', async () => {
    await nav('Members');
    await heading('Members');
    await page.getByLabel('externalId', { exact: true }).fill('crm-1042');
    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
    await page.getByRole('button', { name: 'Create member' }).click();
    await heading('Ada Lovelace');

    await page.getByLabel('Points', { exact: true }).fill('500');
    await page.getByLabel('Reason').fill('signup bonus');
    await page.getByRole('button', { name: 'Adjust points' }).click();
    await page.getByTestId('balance').filter({ hasText: '500 pts' }).waitFor();

    await page.getByRole('button', { name: 'Buy with their points' }).click();
    const bought = page.locator('.success code');
    await bought.waitFor();
    code = (await bought.textContent()) ?? '';
    expect(code).toMatch(/^PROMO-[0-9A-HJKMNP-TV-Z]{8}$/);
    await page.getByTestId('balance').filter({ hasText: '400 pts' }).waitFor();
    await see('signup bonus');
    await shot('07-member');

    await nav('Members');
    await page.getByLabel('Your id for the member (externalId)').fill('crm-1042');
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByRole('link', { name: 'crm-1042' }).waitFor();
    expect(page.url()).toContain('externalId=crm-1042');
    await shot('08-members');
  });

  it('looks the code up in any spelling', async () => {
    await nav('Code lookup');
    const spelled = `${code.slice(0, 9).toLowerCase()} ${code.slice(9).toLowerCase()}`.replace(/0/g, 'o');
    await page.getByLabel('Code', { exact: true }).fill(spelled);
    await page.getByRole('button', { name: 'Look up' }).click();
    await page.getByRole('heading', { level: 2, name: new RegExp(code) }).waitFor();
    await page.locator('.voucher-card .badge', { hasText: 'ACTIVE' }).waitFor();
    await page.getByRole('link', { name: 'Ada Lovelace' }).waitFor();
    await page.getByRole('link', { name: 'Free slice of cake' }).waitFor();
    await see('Never validated.');
    await shot('09-lookup');
  });

  it('burns the code at the till with a basket, shows a retry of that sale as such, then answers "already used" with when and where', async () => {
    await nav('Till');
    await heading('Till');
    await page.getByLabel('Code', { exact: true }).fill(code.toLowerCase());
    await page.getByLabel('Venue (optional)').fill('store-042');
    await page.getByLabel('Transaction reference (optional)').fill('till-7/tx-1');
    await page.getByLabel('Basket total').fill('23.50');
    await page.getByRole('button', { name: 'Add a line' }).click();
    const line = page.getByRole('group', { name: 'Line 1' });
    await line.getByLabel('SKU').fill('CAKE-1');
    await line.getByLabel('Unit price').fill('4.50');

    await page.getByRole('button', { name: 'Check', exact: true }).click();
    await page.getByTestId('verdict').filter({ hasText: 'Valid: not burned (check only)' }).waitFor();

    await page.getByRole('button', { name: 'Burn', exact: true }).click();
    await page.getByTestId('verdict').filter({ hasText: 'Valid: burned' }).waitFor();
    expect(await page.getByTestId('discount').textContent()).toContain('£4.50');
    await shot('10-till-burned');

    // The same sale sent again (its reference): the answer it had, in another colour and words.
    await page.getByRole('button', { name: 'Burn', exact: true }).click();
    await page.getByTestId('verdict').filter({ hasText: 'Already burned in this sale — do not give the discount again' }).waitFor();
    expect(await page.locator('.till-answer').getAttribute('class')).toContain('till-replay');
    await shot('11-till-retried-sale');

    await page.getByLabel('Transaction reference (optional)').fill('till-7/tx-2');
    await page.getByRole('button', { name: 'Burn', exact: true }).click();
    await page.getByTestId('verdict').filter({ hasText: 'Not valid: Already used' }).waitFor();
    expect(await page.getByTestId('burned-where').textContent()).toMatch(/^Used .+ at store-042 \(ref till-7\/tx-1\)$/);
    await shot('11-till-already-used');

    // The lookup now shows both validations, and the burn can be reversed from there.
    await open(`/lookup?code=${encodeURIComponent(code)}`);
    await page.locator('.voucher-card .badge', { hasText: 'BURNED' }).waitFor();
    await see('Already used');
    await page.getByRole('button', { name: 'Reverse burn' }).waitFor();
  });

  it('shows BURNED_VOUCHER in the event log and follows new events as they arrive', async () => {
    await nav('Events');
    await heading('Events');
    await page.getByRole('cell', { name: 'BURNED_VOUCHER' }).waitFor();
    const adjusted = page.getByRole('cell', { name: 'POINTS_ADJUSTED' });
    expect(await adjusted.count()).toBe(1);
    await shot('12-events');

    const members = await api('GET', '/v1/users?externalId=crm-1042');
    await api('POST', `/v1/users/${members.body.data[0].id}/points`, { delta: 25, reason: 'birthday' });
    await adjusted.nth(1).waitFor();

    await page.getByLabel('Type').selectOption('BURNED_VOUCHER');
    // The BURNED_VOUCHER row was there before the filter: wait for the filtered list to replace it.
    await expect.poll(() => page.getByRole('cell', { name: 'POINTS_ADJUSTED' }).count(), { timeout: 60_000 }).toBe(0);
    await page.getByRole('cell', { name: 'BURNED_VOUCHER' }).waitFor();
    expect(page.url()).toContain('type=BURNED_VOUCHER');
  });

  it('sums up the program on the overview, exactly, over a range of days, by reward and by venue, and as CSV', async () => {
    // The browser runs in UTC, so its days are the UTC days.
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
    const today = daysAgo(0);
    // Every figure shown, label → value, and the rows of a table by its heading.
    const stats = () =>
      page.locator('.stat').evaluateAll((nodes) => Object.fromEntries(nodes.map((node) => [node.querySelector('dt')?.textContent, node.querySelector('dd')?.textContent])));
    const rows = (heading: string) =>
      page
        .locator('section', { has: page.getByRole('heading', { level: 2, name: heading }) })
        .locator('tbody tr')
        .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    const program = { 'Vouchers issued': '1', Burned: '1', Expired: '0', Voided: '0', 'Active now': '0', 'Redemption rate': '100.0%', 'Points spent': '100', 'Points credited': '525' };
    const cake = ['Free slice of cake', '1', '1', '0', '0', '0', '100.0%', '100'];

    // By default the last 30 days, ending today where the browser is.
    await nav('Overview');
    await heading('Overview');
    await see(`${daysAgo(29)} to ${today}`);
    await see(/30 days in UTC, this browser’s time zone · as of/);
    expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe(daysAgo(29));
    expect(await page.getByLabel('To', { exact: true }).inputValue()).toBe(today);
    expect(await page.getByRole('button', { name: '30 days' }).getAttribute('aria-pressed')).toBe('true');
    await expect.poll(stats).toEqual(program);
    await see('by adjustments; 0 debited');
    await page.getByRole('img', { name: 'Issued and burned vouchers per day' }).waitFor();
    await expect.poll(() => rows('By reward')).toEqual([cake]);
    await expect.poll(() => rows('Burns by venue')).toEqual([['store-042', '1']]);
    await shot('13-overview');

    // The same days as CSV, fetched with the signed-in key.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe(`activity-${daysAgo(29)}-${today}.csv`);
    const csv = fs.readFileSync((await download.path()) ?? '', 'utf8').trim().split('\n');
    expect(csv[0]).toBe('date,issued,burned,expired,voided,redemptionRate,pointsCredited,pointsDebited,pointsSpent');
    expect(csv).toHaveLength(31);
    expect(csv[1]).toBe(`${daysAgo(29)},0,0,0,0,,0,0,0`);
    expect(csv[30]).toBe(`${today},1,1,0,0,1,525,0,100`);

    // A quick choice, then dates typed: the range is in the URL.
    await page.getByRole('button', { name: '7 days' }).click();
    await see(`${daysAgo(6)} to ${today}`);
    expect(page.url()).toContain(`from=${daysAgo(6)}&to=${today}`);
    await expect.poll(stats).toEqual(program);
    await page.getByLabel('From', { exact: true }).fill(daysAgo(40));
    await page.getByLabel('To', { exact: true }).fill(daysAgo(10));
    await see(`${daysAgo(40)} to ${daysAgo(10)}`);
    await see(/31 days in UTC/);
    await expect.poll(stats).toEqual({ ...program, 'Vouchers issued': '0', Burned: '0', 'Redemption rate': '—', 'Points spent': '0', 'Points credited': '0' });
    await expect.poll(() => rows('By reward')).toEqual([['Free slice of cake', '0', '0', '0', '0', '0', '—', '0']]);
    await expect.poll(() => rows('Burns by venue')).toEqual([['store-042', '0']]);
    // A range the API refuses: its message beside the field.
    await page.getByLabel('From', { exact: true }).fill(daysAgo(5));
    await page.locator('#field-to-error').filter({ hasText: 'must not be before from' }).waitFor();

    // One venue (burns only), from its row; then one reward, which drops the venue.
    await page.getByRole('button', { name: '30 days' }).click();
    await page.getByRole('link', { name: 'store-042' }).click();
    await see(/venue store-042: burns only/);
    expect(page.url()).toContain('venue=store-042');
    await expect.poll(stats).toEqual({ Burned: '1' });
    await page.getByRole('img', { name: 'Burned vouchers per day' }).waitFor();
    await shot('13-overview-venue');
    expect(await page.getByRole('heading', { level: 2, name: 'By reward' }).count()).toBe(0);
    await page.getByLabel('Reward').selectOption({ label: 'Free slice of cake' });
    await expect.poll(() => page.url()).toContain('reward=rwd_');
    expect(page.url()).not.toContain('venue=');
    await expect.poll(stats).toEqual({ 'Vouchers issued': '1', Burned: '1', Expired: '0', Voided: '0', 'Active now': '0', 'Redemption rate': '100.0%', 'Points spent': '100' });
    // The link shows the same view.
    await page.reload();
    await heading('Overview');
    await expect.poll(() => page.getByLabel('Reward').locator('option:checked').textContent()).toBe('Free slice of cake');
    await see(`${daysAgo(29)} to ${today}`);
    await expect.poll(stats).toEqual({ 'Vouchers issued': '1', Burned: '1', Expired: '0', Voided: '0', 'Active now': '0', 'Redemption rate': '100.0%', 'Points spent': '100' });
  });

  it('subscribes a webhook, shows its secret once, and lists its deliveries', async () => {
    await nav('Webhooks');
    await heading('Webhooks');
    await page.getByLabel('URL').fill('ftp://example.com/hook');
    await page.getByLabel('BURNED_VOUCHER').check();
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.locator('#field-url-error').waitFor();

    await page.getByLabel('URL').fill(receiver.url('/hook'));
    await page.getByRole('button', { name: 'Create webhook' }).click();
    expect(await page.locator('.secret').textContent()).toMatch(/^whsec_/);
    await shot('14-webhooks');
    await page.getByRole('button', { name: 'Done' }).click();

    await page.getByRole('link', { name: receiver.url('/hook') }).click();
    await heading('Webhook');
    await page.getByRole('button', { name: 'Send a test' }).click();
    await see(/A test message .* is on its way/);
    // The page reads the deliveries again by itself until the receiver's answer is in.
    await page.getByRole('row').filter({ hasText: 'WEBHOOK_TEST' }).getByText('DELIVERED', { exact: true }).waitFor();
    expect(receiver.received.length).toBe(1);
    await shot('15-webhook');
  });

  it('uploads a large code pool with a progress bar, then shows the report and the pool', async () => {
    const created = await api('POST', '/v1/rewards', { name: 'Partner coffee', pricePoints: 50, codeType: 'POOL', incentives: [] });
    expect(created.status).toBe(201);
    const codes = Array.from({ length: 200_000 }, (_, i) => `PARTNER-${String(i).padStart(8, '0')}`);
    // Two lines that are not added: a blank one and a repeat.
    const lines = [...codes.slice(0, 5), '', ...codes.slice(5), 'PARTNER-00000001'];
    await open(`/rewards/${created.body.id}`);
    await heading('Partner coffee');
    await page.getByLabel('File of codes').setInputFiles({ name: 'partner-codes.txt', mimeType: 'text/plain', buffer: Buffer.from(lines.join('\n')) });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByRole('status').filter({ hasText: /Sending the file…|Adding the codes…/ }).locator('progress').waitFor();
    await see('Upload report');
    await see(/200,000 of 200,002 codes added/);
    await page.locator('.stat', { hasText: 'Available' }).filter({ hasText: '200,000' }).waitFor();
    await shot('16-reward-pool');
  });

  it('fits a phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await open('/');
    await heading('Overview');
    await shot('17-phone-overview');
    await open('/till');
    await heading('Till');
    await shot('18-phone-till');
    const members = await api('GET', '/v1/users?externalId=crm-1042');
    await open(`/members/${members.body.data[0].id}`);
    await heading('Ada Lovelace');
    await shot('19-phone-member');
    // Nothing is wider than the screen but the tables, which scroll inside their frame.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
