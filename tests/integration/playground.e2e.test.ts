/**
 * The offline GraphiQL playground, driven in a real headless Chromium (Debian's /usr/bin/chromium,
 * through playwright-core): the page loads under its strict CSP, every asset comes from this server,
 * the Customer360 example runs with a bearer token typed into the Headers editor, and without one the
 * API answers UNAUTHENTICATED.
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer } from '../helpers/fixtures';
import { Role } from '../../src/auth/viewer';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SCREENSHOT = path.join(__dirname, '..', '..', 'test-results', 'playground.png');
const UI_TIMEOUT = 10_000;

let app: TestApp;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let page: Page;
let origin: string;
let adminToken: string;
let customers: Array<{ id: string; email?: string | null }>;

/** Everything the browser did, for the assertions at the end. */
const requests: string[] = [];
const pageErrors: string[] = [];
const consoleErrors: string[] = [];
const cspViolations: string[] = [];

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM}: install it (apt-get update && apt-get install -y chromium) ` +
        'or point CHROMIUM_PATH at a Chromium binary. This test does not skip.',
    );
  }
  app = await startTestApp();
  origin = new URL(app.url).origin;
  adminToken = await app.tokenFor(Role.ADMIN);
  customers = [
    await makeCustomer(app, { firstName: 'Ada', lastName: 'Lovelace', email: 'ada.playground@example.com' }),
    await makeCustomer(app, { firstName: 'Alan', lastName: 'Turing', email: 'alan.playground@example.com' }),
  ];

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  // CSP violations are also logged as console errors, but count them at the source too (across navigations).
  await context.exposeFunction('__reportCspViolation', (v: string) => void cspViolations.push(v));
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __reportCspViolation(v: string): void }).__reportCspViolation(
        `${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.documentURI} ${e.sourceFile}:${e.lineNumber}`,
      );
    });
  });
  page = await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${m.text()} @ ${m.location().url}:${m.location().lineNumber}`);
  });
}, 30_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await app?.close();
});

function resultPane(): Locator {
  return page.locator('.graphiql-response .result-window');
}

/** CodeMirror 5: focus, select all, replace with `text` (insertText: no auto-closed brackets). */
async function replaceEditorText(editor: Locator, text: string): Promise<void> {
  await editor.locator('.CodeMirror-lines').first().click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
}

async function editorText(editor: Locator): Promise<string> {
  return editor.evaluate((el) => {
    const cm = (el.querySelector('.CodeMirror') as unknown as { CodeMirror?: { getValue(): string } } | null)?.CodeMirror;
    return cm ? cm.getValue() : '';
  });
}

/** Re-evaluates `read` until `ok` accepts its value (the UI settles asynchronously). */
async function eventually<T>(read: () => Promise<T> | T, ok: (v: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + UI_TIMEOUT;
  let last: T;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function run(): Promise<void> {
  await page.locator('button.graphiql-execute-button').click();
}

describe('GraphiQL playground in headless Chromium', () => {
  it('serves the IDE at GET /graphql with a strict Content-Security-Policy', async () => {
    const started = Date.now();
    const res = await page.goto(app.url, { waitUntil: 'load' });
    expect(res).not.toBeNull();
    expect(res!.status()).toBe(200);
    const headers = res!.headers();
    expect(headers['content-type']).toMatch(/^text\/html/);
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain("connect-src 'self'");

    // GraphiQL mounted and loaded the Customer360 example into the query editor.
    await page.locator('button.graphiql-execute-button').waitFor({ state: 'visible' });
    const queryEditor = page.locator('.graphiql-query-editor');
    await eventually(() => editorText(queryEditor), (t) => t.includes('query Customer360'), 'the Customer360 example in the query editor');
    // Schema introspection (a POST by the IDE) happened.
    await eventually(() => requests.filter((u) => u === app.url).length, (n) => n > 0, 'the introspection request');
    // eslint-disable-next-line no-console
    console.log(`playground ready in ${Date.now() - started} ms`);
  });

  it('without an Authorization header, Customer360 answers UNAUTHENTICATED', async () => {
    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url() === app.url && (r.postData() ?? '').includes('Customer360'));
    await run();
    expect((await sent).headers()['authorization']).toBeUndefined();
    await resultPane().getByText('UNAUTHENTICATED').first().waitFor();
    const text = await resultPane().innerText();
    expect(text).not.toContain(customers[0].email!);
  });

  it('with a bearer token typed into the Headers editor, Customer360 returns the seeded customers', async () => {
    // The editor tools (Variables | Headers) are collapsed unless headers are pre-filled: open the Headers tab.
    await page.getByRole('button', { name: 'Headers', exact: true }).click();
    const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor').last();
    await headersEditor.waitFor({ state: 'visible' });
    const headersJson = JSON.stringify({ Authorization: `Bearer ${adminToken}` });
    await replaceEditorText(headersEditor, headersJson);
    expect(JSON.parse(await editorText(headersEditor))).toEqual({ Authorization: `Bearer ${adminToken}` });

    const sent = page.waitForRequest((r) => r.method() === 'POST' && r.url() === app.url && (r.postData() ?? '').includes('Customer360'));
    await run();
    const request = await sent;
    expect(request.headers()['authorization']).toBe(`Bearer ${adminToken}`);

    const pane = resultPane();
    await pane.getByText(customers[0].email!).first().waitFor();
    await pane.getByText('"totalCount"').first().waitFor();
    const text = await pane.innerText();
    expect(text).toContain(customers[1].email!);
    expect(text).not.toContain('UNAUTHENTICATED');
    expect(text).not.toContain('"errors"');
    // And the response behind it holds exactly the two customers seeded for this test.
    const body = JSON.parse(await (await request.response())!.text()) as {
      data: { customers: { totalCount: number; nodes: Array<{ email: string }> } };
    };
    expect(body.data.customers.totalCount).toBe(2);
    expect(body.data.customers.nodes.map((n) => n.email).sort()).toEqual([customers[0].email, customers[1].email].sort());

    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
  });

  it('serves the IDE at GET / as well', async () => {
    const res = await page.goto(`${origin}/`, { waitUntil: 'load' });
    expect(res!.status()).toBe(200);
    expect(res!.headers()['content-security-policy']).toContain("default-src 'none'");
    await page.locator('button.graphiql-execute-button').waitFor({ state: 'visible' });
    await eventually(() => editorText(page.locator('.graphiql-query-editor')), (t) => t.includes('query Customer360'), 'the example query at /');
  });

  it('talked to this server only, with no page errors, console errors or CSP violations', () => {
    if (process.env.PLAYGROUND_DEBUG) console.log(requests.join('\n')); // eslint-disable-line no-console
    expect(requests.length).toBeGreaterThan(0);
    const host = new URL(origin).host;
    const offHost = requests.filter((u) => {
      const url = new URL(u);
      return url.protocol !== 'data:' && url.host !== host; // data: = fonts inlined in graphiql.min.css
    });
    expect({ offHost, pageErrors, consoleErrors, cspViolations }).toEqual({ offHost: [], pageErrors: [], consoleErrors: [], cspViolations: [] });
  });
});
