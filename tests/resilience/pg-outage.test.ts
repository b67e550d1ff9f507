import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { scratchDir } from '../helpers/seed-cache';
import { startMigratedPgProcess, type PgProcess } from '../helpers/embedded-pg-process';
import { initOrm, migrate } from '../../src/db/orm';
import { createServer, type RapportServer } from '../../src/server';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { signToken } from '../../src/auth/jwt';
import { Role } from '../../src/auth/viewer';
import type { MikroORM } from '@mikro-orm/postgresql';

/**
 * What clients hear while PostgreSQL is frozen (every postgres process of this test's own embedded
 * cluster stopped with SIGSTOP, as a hung host would be) and while it is down: 503 answers that say
 * SERVICE_UNAVAILABLE and retryable, never a hanging probe, a 200 with INTERNAL_SERVER_ERROR or a 500.
 */
const SECRET = 'outage-test-secret-at-least-32-characters';
const PORT = 54334;
let dataDir: string;
let pg: PgProcess;
let orm: MikroORM;
let server: RapportServer;
let base: string;
let apiKey: string;
let frozen: number[] = [];

/** The postmaster of this test's cluster and its children (never any other PostgreSQL of the machine). */
function clusterPids(): number[] {
  const postmaster = Number(fs.readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(postmaster)], { encoding: 'utf8' }).split('\n').map((l) => Number(l.trim())).filter(Boolean);
  return [postmaster, ...children];
}
const thaw = () => {
  for (const pid of frozen) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // already gone
    }
  }
  frozen = [];
};

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(scratchDir(), 'rapport-outage-'));
  fs.chmodSync(dataDir, 0o755);
  // A copy of an initialised cluster whose database is migrated (made once, seed-cache.ts); migrate() then finds nothing to do.
  pg = await startMigratedPgProcess(path.join(dataDir, 'pg'), PORT);
  orm = await initOrm(pg.url, { poolMax: 4 });
  await migrate(orm);
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: pg.url, JWT_SECRET: SECRET, LOG_LEVEL: process.env.OUTAGE_LOG ?? 'silent' });
  server = await createServer({ orm, config, logger: createLogger(config) });
  base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
  const created = await gql(`mutation { createApiKey(input: { name: "outage", scopes: ["events:write", "customers:read"] }) { secret } }`, {}, { authorization: `Bearer ${await signToken(SECRET, { sub: 'ops', role: Role.ADMIN })}` });
  apiKey = created.body.data.createApiKey.secret;
}, 90_000);

afterAll(async () => {
  thaw();
  await server?.close();
  await orm?.close(true);
  await pg?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

/** One request, given up after 10 s: a hanging answer fails the test instead of stalling it. */
async function gql(query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
  const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

it('/readyz answers 503 while PostgreSQL is frozen, and ready again once it thaws', async () => {
  expect((await fetch(`${base}/readyz`)).status).toBe(200);
  frozen = clusterPids();
  for (const pid of frozen) process.kill(pid, 'SIGSTOP');
  try {
    const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'unavailable' });
  } finally {
    thaw();
  }
  let ready = 0;
  for (let i = 0; i < 50 && ready !== 200; i++) {
    ready = (await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) })).status;
    if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  expect(ready).toBe(200);
}, 60_000);

it('while PostgreSQL is down, writes and API-key requests answer 503 SERVICE_UNAVAILABLE, retryable', async () => {
  const token = await signToken(SECRET, { sub: 'writer', role: Role.ADMIN });
  await pg.stop();
  const partner = await gql(`{ products(first: 1) { totalCount } }`, {}, { 'x-api-key': apiKey });
  expect(partner.status).toBe(503);
  expect(partner.body.errors?.[0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
  const write = await gql(`mutation { upsertCustomer(input: { email: "down@example.com" }) { created } }`, {}, { authorization: `Bearer ${token}` });
  expect(write.status).toBe(503);
  expect(write.body.errors?.[0].extensions).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retryable: true });
  // A response that still carries data (a nullable root field answered null) is not a 503: GraphQL over
  // HTTP requires 2xx for application/graphql-response+json when `data` is not null; the error says retryable.
  const id = Buffer.from('Customer:00000000-0000-4000-8000-000000000001').toString('base64url');
  const partial = await fetch(`${base}/graphql`, {
    method: 'POST', signal: AbortSignal.timeout(10_000),
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: 'query($id: ID!) { __typename customer(id: $id) { id } }', variables: { id } }),
  });
  expect(partial.status).toBe(200);
  expect(await partial.json()).toMatchObject({ data: { __typename: 'Query', customer: null }, errors: [{ extensions: { code: 'SERVICE_UNAVAILABLE', retryable: true } }] });
  const ready = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5_000) });
  expect(ready.status).toBe(503);
}, 60_000);
