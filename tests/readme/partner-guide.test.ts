import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/test-server';
import { seedDemoData } from '../../src/cli/seed';
import { extractExamples } from '../helpers/readme-examples';

/**
 * README "Partner guide": its shell blocks share variables (the key, its id, the admin token), so they
 * run here in order in one bash, against a server on the demo data that sends webhooks
 * (WEBHOOK_WORKER=inline), and each step's output is checked: the key is created, reads the API, the
 * receiver verifies a real signed delivery with `standardwebhooks`, rotation keeps the old secret for
 * its grace period, revocation refuses both.
 */
const root = path.join(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
const section = (() => {
  const start = readme.indexOf('\n## Partner guide\n');
  const end = readme.indexOf('\n## ', start + 5);
  return readme.slice(start, end);
})();
/** The section's shell steps: the blocks the README marks as run by this test, in order. */
const steps = extractExamples(readme).ownTests.filter((e) => e.test === 'tests/readme/partner-guide.test.ts' && e.kind === 'shell').map((e) => e.code);
const jsListings = [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp({ WEBHOOK_WORKER: 'inline', WEBHOOK_POLL_MS: '200', WEBHOOK_RETRY_DELAY_SECONDS: '1' });
  await seedDemoData(app.orm, { customers: 30, showcase: false });
}, 180_000);
afterAll(async () => {
  await app?.close();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

it('the receiver listed in the README is examples/partner/webhook-receiver.mjs', () => {
  const js = jsListings;
  expect(js).toHaveLength(1);
  const file = fs.readFileSync(path.join(root, 'examples', 'partner', 'webhook-receiver.mjs'), 'utf8');
  // The file's header comment aside, the listing is the file.
  expect(file.endsWith(js[0])).toBe(true);
});

it('runs every step in order: create, call, receive and verify a webhook, rotate, revoke', async () => {
  expect(steps).toHaveLength(5);
  const apiPort = new URL(app.url).port;
  const hookPort = String(await freePort());
  const script = ['set -euo pipefail', ...steps.map((s, i) => `echo "::step ${i + 1}::"\n${s}`)]
    .join('\n')
    .replace(/127\.0\.0\.1:4000/g, `127.0.0.1:${apiPort}`)
    .replace(/\b3999\b/g, hookPort);
  const child = spawn('bash', ['-c', script], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: app.config.databaseUrl, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'warn', TMPDIR: process.env.TMPDIR ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect({ code, err: code === 0 ? '' : err }).toEqual({ code: 0, err: '' });

  const parts = out.split(/::step \d::\n/).slice(1);
  expect(parts).toHaveLength(5);
  // 2. The key reads the API: an answer with data, no errors.
  const call = JSON.parse(parts[1]) as { data?: { customers: { totalCount: number } }; errors?: unknown };
  expect(call.errors).toBeUndefined();
  expect(call.data?.customers.totalCount).toEqual(expect.any(Number));
  // 3. The receiver verified a signed delivery and printed it; the consent change it names is the one made.
  const lines = parts[2].split('\n').filter((l) => l.startsWith('{"id":"msg_'));
  const events = lines.map((l) => JSON.parse(l) as { id: string; type: string; data: { purpose?: string; status?: string } });
  expect(events.find((e) => e.type === 'consent.changed' && e.data.purpose === 'third_party_sharing')?.data).toMatchObject({ purpose: 'third_party_sharing', status: 'granted' });
  expect(err).not.toContain('rejected');
  expect(events.every((e) => /^msg_\d+$/.test(e.id))).toBe(true);
  // 4. During the grace period both secrets work; 5. after revocation neither does.
  expect(parts[3]).toContain('old: 200 new: 200');
  expect(parts[4]).toContain('old: 401 new: 401');
  expect(parts[4]).toContain('"revokedAt"');
}, 300_000);
