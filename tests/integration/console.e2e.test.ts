/**
 * The customer-360 console (/console), driven in a real headless Chromium (Debian's /usr/bin/chromium
 * through playwright-core) against the real server on seeded data, as admin, marketing and the customer
 * themself. Each role sees what the policy lets it see; what it may not see is marked "withheld" in the
 * page (from the FORBIDDEN errors' paths), never an error page. Screenshots are taken per role.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer } from '../helpers/fixtures';
import { seedDemoData } from '../../src/cli/seed';
import { runAnalytics } from '../../src/analytics/run';
import { Role } from '../../src/auth/viewer';
import { loadConfig } from '../../src/config';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const UI_TIMEOUT = 30_000;
const root = path.join(__dirname, '..', '..');
const shots = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-console-'));

let app: TestApp;
let browser: Browser | undefined;
let origin: string;
let customer: { id: string; email: string };
const TIMELINE_EVENTS = 27; // interactions and a complaint: more than one page (20) of the console's timeline
const requests: string[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH). This test does not skip.`);
  // The console's modules, as `npm run build` compiles them (incremental: quick when up to date).
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'tsconfig.console.json'], { cwd: root, stdio: 'pipe' });
  app = await startTestApp();
  origin = new URL(app.url).origin;
  await seedDemoData(app.orm, { customers: 60, showcase: true });

  // A customer with what every panel shows: identities, a complaint with text, a timeline longer than
  // a page, and no marketing consent (so marketing may not see their name or e-mail).
  const made = await makeCustomer(app, { firstName: 'Grace', lastName: 'Hopper', email: `grace.console.${Date.now()}@example.com`, phone: '+33612345678', birthDate: '1960-12-09' });
  customer = { id: made.id, email: made.email! };
  const fb = await app.gql('mutation($c: ID!) { recordFeedback(input: { customerId: $c, kind: COMPLAINT, topic: "delivery", text: "The parcel arrived broken" }) { id } }', { c: customer.id });
  expect(fb.errors).toBeUndefined();
  for (let i = 0; i < TIMELINE_EVENTS - 1; i++) {
    const r = await app.gql('mutation($c: ID!, $at: DateTime!) { recordInteraction(input: { customerId: $c, channel: WEB, type: PAGE_VIEW, occurredAt: $at, properties: { path: "/p" } }) { duplicate } }', {
      c: customer.id,
      at: new Date(Date.now() - (i + 1) * 3_600_000).toISOString(),
    });
    expect(r.errors).toBeUndefined();
  }
  // Two analytics runs: the segment-size chart has two points per segment.
  await runAnalytics(app.orm.em.fork() as EntityManager);
  await runAnalytics(app.orm.em.fork() as EntityManager);

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 300_000);

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await app?.close();
});

async function openConsole(token: string): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
  page.setDefaultTimeout(UI_TIMEOUT);
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // The token in the fragment: never sent to the server, and cleared from the address by the page.
  await page.goto(`${origin}/console#token=${token}`);
  await page.waitForSelector('#app[data-ready="true"]');
  return page;
}

async function search(page: Page, kind: string, value: string): Promise<void> {
  await page.selectOption('#kind', kind);
  await page.fill('#query', value);
  await page.evaluate(() => (document.getElementById('app')!.dataset.ready = 'pending'));
  await page.click('#search');
  await page.waitForSelector('#app[data-ready="true"]');
}

const withheldFields = (page: Page) => page.$$eval('[data-withheld]', (els) => els.map((e) => (e as HTMLElement).dataset.withheld!).sort());
const text = (page: Page, selector: string) => page.locator(selector).innerText();

async function screenshot(page: Page, role: string): Promise<string> {
  const file = path.join(shots, `console-${role}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** A real PNG of a rendered page: the signature, the size the page had, and more than a blank page's bytes. */
function expectNonTrivialPng(file: string): void {
  const png = fs.readFileSync(file);
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(png.readUInt32BE(16)).toBe(1400); // IHDR width
  expect(png.readUInt32BE(20)).toBeGreaterThan(1000); // full page: taller than the viewport
  expect(png.length).toBeGreaterThan(50_000);
}

it('admin: finds the customer by e-mail and sees every panel, nothing withheld; the timeline loads more on scroll', async () => {
  const page = await openConsole(await app.tokenFor(Role.ADMIN));
  await search(page, 'EMAIL', customer.email);
  expect(await page.getAttribute('#app', 'data-customer')).toBe(customer.id);
  expect(await withheldFields(page)).toEqual([]);
  expect(await page.locator('[data-problem]').count()).toBe(0);
  expect(await text(page, '#profile [data-field="email"]')).toBe(customer.email);
  expect(await text(page, '#profile [data-field="birthDate"]')).toBe('1960-12-09');
  expect(await text(page, '#identities')).toContain(customer.email);
  expect(await text(page, '#feedback')).toContain('The parcel arrived broken');
  expect(await page.locator('#feedback [data-complaint-status]').first().getAttribute('data-complaint-status')).toMatch(/^[A-Z_]+$/);
  expect(await text(page, '#value [data-field="lifecycleStage"]')).toMatch(/^[A-Z_]+$/);
  expect(await page.locator('#value [data-field="churnReasons"] li').count()).toBeGreaterThan(0);
  expect(await text(page, '#consents')).toContain('History');
  // Segments with sizes and the size-over-time chart (two runs: two points per segment).
  const segmentRows = await page.locator('#segments tbody tr').count();
  expect(segmentRows).toBeGreaterThan(0);
  expect(await page.locator('#segments svg[data-chart="line"] circle').count()).toBe(segmentRows * 2);
  expect(await page.locator('#campaigns svg[data-chart="bar"]').count()).toBe(2);
  expect(await page.locator('#campaigns tbody tr').count()).toBeGreaterThan(0);

  // Infinite scroll: one page first, the rest when the list's end scrolls into view.
  const loaded = () => page.locator('#timeline ul').getAttribute('data-loaded').then(Number);
  await page.waitForFunction(() => Number(document.querySelector('#timeline ul')?.getAttribute('data-loaded')) >= 20);
  expect(await loaded()).toBeLessThan(TIMELINE_EVENTS + 2);
  await page.locator('#timeline').evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await page.waitForFunction(() => /all shown/.test(document.querySelector('[data-timeline-status]')?.textContent ?? ''));
  const total = Number(/^(\d+) events/.exec(await text(page, '[data-timeline-status]'))![1]);
  expect(total).toBeGreaterThanOrEqual(TIMELINE_EVENTS); // the interactions and the complaint
  expect(await loaded()).toBe(total);

  expectNonTrivialPng(await screenshot(page, 'admin'));
  // The page took the token from the fragment and removed it from the address.
  expect(page.url()).toBe(`${origin}/console`);
  await page.close();
}, 120_000);

it('marketing: lookup by identifier, contact data without consent, identities and feedback text are withheld; metrics, segments and campaigns shown', async () => {
  const page = await openConsole(await app.tokenFor(Role.MARKETING));
  await search(page, 'EMAIL', customer.email);
  expect(await withheldFields(page)).toContain('customerByIdentifier');
  expect(await page.locator('#customers tbody tr').count()).toBeGreaterThan(0);

  await search(page, 'ID', customer.id);
  expect(await page.getAttribute('#app', 'data-customer')).toBe(customer.id);
  const fields = await withheldFields(page);
  expect(fields).toEqual(expect.arrayContaining([
    'profile.firstName', 'profile.lastName', 'profile.email', 'profile.phone', 'profile.birthDate',
    'identities.identities', 'feedback.feedback.nodes.0.text',
  ]));
  expect(fields).not.toContain('value.value');
  expect(await page.locator('#profile .withheld').count()).toBe(5);
  expect(await text(page, '#profile')).not.toContain(customer.email);
  expect(await text(page, '#identities')).not.toContain(customer.email);
  expect(await text(page, '#feedback')).not.toContain('The parcel arrived broken');
  expect(await page.locator('#feedback [data-complaint-status]').count()).toBe(1); // the status is not withheld
  expect(await text(page, '#value [data-field="lifecycleStage"]')).toMatch(/^[A-Z_]+$/);
  expect(await page.locator('#segments svg[data-chart="line"] circle').count()).toBeGreaterThan(0);
  expect(await page.locator('#campaigns svg[data-chart="bar"]').count()).toBe(2);
  expect(await page.locator('[data-problem]').count()).toBe(0);
  expectNonTrivialPng(await screenshot(page, 'marketing'));
  await page.close();
}, 120_000);

it('customer: opens their own profile; value, lifecycle, segments, campaigns and the customer list are withheld', async () => {
  const page = await openConsole(await app.tokenFor(Role.CUSTOMER, customer.id));
  expect(await page.getAttribute('#app', 'data-customer')).toBe(customer.id);
  const fields = await withheldFields(page);
  expect(fields).toEqual(expect.arrayContaining(['value.value', 'lifecycle.lifecycleHistory', 'segments', 'analyticsHistory', 'campaignMetrics', 'customers']));
  expect(fields.filter((f) => f.startsWith('profile.') || f.startsWith('feedback.') || f.startsWith('identities.'))).toEqual([]);
  expect(await text(page, '#profile [data-field="email"]')).toBe(customer.email);
  expect(await text(page, '#feedback')).toContain('The parcel arrived broken');
  expect(await text(page, '#identities')).toContain(customer.email);
  expect(await page.locator('#segments svg').count()).toBe(0);
  expect(await page.locator('[data-problem]').count()).toBe(0);
  expectNonTrivialPng(await screenshot(page, 'customer'));
  await page.close();
}, 120_000);

it('a refused token is a message in the page, not an error page', async () => {
  const page = await openConsole('not-a-valid-token');
  expect(await page.locator('[data-problem="unauthenticated"]').count()).toBeGreaterThan(0);
  await page.close();
}, 60_000);

it('the browser only ever talked to this server, and the page raised no script errors', () => {
  expect(requests.length).toBeGreaterThan(0);
  expect(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'))).toEqual([]);
  expect(pageErrors).toEqual([]);
  expect(fs.readdirSync(shots).sort()).toEqual(['console-admin.png', 'console-customer.png', 'console-marketing.png']);
});

it('is served with a strict CSP, only compiled modules are served, and CONSOLE is on outside production only', async () => {
  const res = await fetch(`${origin}/console`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect((await fetch(`${origin}/console/assets/main.js`)).headers.get('content-type')).toMatch(/javascript/);
  expect((await fetch(`${origin}/console/assets/.tsbuildinfo`)).status).toBe(404);
  expect((await fetch(`${origin}/console/assets/..%2f..%2fpackage.json`)).status).toBe(404);
  const base = { DATABASE_URL: 'postgres://x@127.0.0.1/x', JWT_SECRET: 'a'.repeat(40) };
  expect(loadConfig({ ...base, NODE_ENV: 'development' }).console).toBe(true);
  expect(loadConfig({ ...base, NODE_ENV: 'development', CONSOLE: 'off' }).console).toBe(false);
  expect(loadConfig({ ...base, NODE_ENV: 'production', PSEUDONYM_KEYS: 'k1:' + 'b'.repeat(64) }).console).toBe(false);
});

it('TRUSTED_DOCUMENTS with the console manifest: the console works there too, and only its operations run', async () => {
  const trusted = await startTestApp({ TRUSTED_DOCUMENTS: path.join(root, 'src', 'console', 'web', 'gql', 'persisted-documents.json') });
  const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
  try {
    // Free-form writes are refused here, so the data comes from the seed.
    await seedDemoData(trusted.orm, { customers: 5, showcase: false });
    const [{ email }] = await trusted.sql<{ email: string }>('select email from customers where email is not null order by email limit 1');
    const trustedOrigin = new URL(trusted.url).origin;
    await page.goto(`${trustedOrigin}/console#token=${await trusted.tokenFor(Role.ADMIN)}`);
    await page.waitForSelector('#app[data-ready="true"]');
    await search(page, 'EMAIL', email);
    expect(await page.getAttribute('#app', 'data-customer')).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(await text(page, '#profile [data-field="email"]')).toBe(email);
    expect(await page.locator('#segments table').count()).toBe(1); // answered (the seed defines none before analytics runs)
    expect(await page.locator('[data-problem]').count()).toBe(0);
    const other = await fetch(trusted.url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${await trusted.tokenFor(Role.ADMIN)}` }, body: JSON.stringify({ query: '{ customers(first: 1) { totalCount } }' }) });
    expect(other.status).toBe(400);
  } finally {
    await page.close();
    await trusted.close();
  }
}, 120_000);

it('CONSOLE=off: /console is not served', async () => {
  const off = await startTestApp({ CONSOLE: 'off' });
  try {
    const res = await fetch(`${new URL(off.url).origin}/console`);
    expect(res.status).toBe(404);
  } finally {
    await off.close();
  }
}, 120_000);
