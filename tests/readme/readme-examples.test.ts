import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { parse, Kind, type OperationDefinitionNode } from 'graphql';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/test-server';
import { extractExamples, type ReadmeExample } from '../helpers/readme-examples';
import { seedDemoData } from '../../src/cli/seed';
import { Role } from '../../src/auth/viewer';
import { runAnalytics } from '../../src/analytics/run';

/**
 * The README is tested: every GraphQL and shell example in it runs against a server on the demo data
 * (what `npm start` seeds, fewer customers) and must answer without errors. An example that drifts
 * from the API or the demo data fails here. Opt out with `<!-- readme-test: skip (why) -->` on the
 * line before the fence (tests/helpers/readme-examples.ts).
 */
const root = path.join(__dirname, '..', '..');
const { examples, skipped, ownTests } = extractExamples(fs.readFileSync(path.join(root, 'README.md'), 'utf8'));
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
  await seedDemoData(app.orm, { customers: 300, showcase: true });
  await runAnalytics(app.orm.em.fork() as EntityManager);
}, 180_000);
afterAll(async () => {
  await app?.close();
});

const label = (e: ReadmeExample) => `README.md:${e.line} (${e.section})`;

it('finds the README examples, and only a few are marked not to run', () => {
  expect(examples.filter((e) => e.kind === 'graphql').length).toBeGreaterThan(0);
  expect(examples.filter((e) => e.kind === 'shell').length).toBeGreaterThan(0);
  expect(skipped.length).toBeLessThan(examples.length);
});

it('every block left to a test of its own names a test file that exists', () => {
  for (const e of ownTests) expect({ line: e.line, exists: fs.existsSync(path.join(root, e.test)) }).toEqual({ line: e.line, exists: true });
});

const graphql = examples.filter((e) => e.kind === 'graphql');
const operations = graphql.flatMap((e) =>
  parse(e.code)
    .definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
    .map((op, i) => ({ e, op, name: op.name?.value ?? `#${i + 1}` })),
);

describe.each(operations.map((o) => [`${label(o.e)} ${o.op.operation} ${o.name}`, o] as const))('%s', (_title, { e, op }) => {
  it('answers without errors', async () => {
    // One operation at a time, so a block may hold several: graphql-js needs the name, or a lone anonymous one.
    const document = op.name ? e.code : e.code.slice(op.loc!.start, op.loc!.end);
    const query = op.operation === 'subscription' ? null : document;
    if (!query) return expect(op.operation).toBe('subscription'); // served over WebSocket only (see "Live updates")
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await app.tokenFor(Role.ADMIN)}` },
      body: JSON.stringify({ query, variables: e.variables, operationName: op.name?.value }),
    });
    const body = (await res.json()) as { errors?: unknown[]; data?: unknown };
    expect({ status: res.status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
    // Every root field the operation selects is answered (a value or null, never missing).
    const rootKeys = op.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.alias?.value ?? s.name.value] : []));
    expect(rootKeys.length).toBeGreaterThan(0);
    expect(Object.keys(body.data as object)).toEqual(expect.arrayContaining(rootKeys));
  });
});

function runShell(code: string): Promise<{ code: number | null; out: string; err: string }> {
  const port = new URL(app.url).port;
  // The README speaks of npm start's address and embedded database; here they are the test server's.
  const script = `set -euo pipefail\n${code.replace(/127\.0\.0\.1:4000/g, `127.0.0.1:${port}`)}`;
  const child = spawn('bash', ['-c', script], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: app.config.databaseUrl, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'warn', TMPDIR: process.env.TMPDIR ?? '/tmp' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => child.on('exit', (c) => resolve({ code: c, out, err })));
}

/** Every JSON object a command printed (whole output, or one per line). */
function jsonOutputs(text: string): unknown[] {
  const tryParse = (s: string) => {
    try {
      return [JSON.parse(s)];
    } catch {
      return [];
    }
  };
  const whole = tryParse(text.trim());
  return whole.length ? whole : text.split('\n').flatMap((l) => (l.trim().startsWith('{') ? tryParse(l) : []));
}

describe.each(examples.filter((e) => e.kind === 'shell').map((e) => [label(e), e] as const))('%s', (_title, e) => {
  it('runs to the end and no answer carries GraphQL errors', async () => {
    const r = await runShell(e.code);
    expect({ exit: r.code, stderr: r.code === 0 ? '' : r.err }).toEqual({ exit: 0, stderr: '' });
    for (const json of jsonOutputs(r.out)) expect(json).not.toHaveProperty('errors');
    // `rapport import` exits 0 with rejected rows; an example's rows must all be accepted.
    expect(r.err.match(/\b[1-9]\d* rejected\b/g)).toBeNull();
    // Generous: each npx call starts a Node process, which takes long on a loaded machine.
  }, 300_000);
});
