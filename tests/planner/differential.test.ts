import fc from 'fast-check';
import { parse, print, validate, type GraphQLSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { createServer, type RapportServer } from '../../src/server';
import { createLogger } from '../../src/logger';
import { createAuthzFixtures, VIEWERS, type AuthzFixtures, type ViewerSpec } from '../authz/fixtures';
import { PATHS, probeQuery } from '../authz/probes';
import { EXPECTED_TYPES } from '../authz/access-expectations';
import { ok } from '../helpers/fixtures';
import { buildAppSchema } from '../../src/schema/build-schema';
import { PLANNED_RESOLVERS, PLANNED_ROOTS, plannerStats } from '../../src/planner/read-planner';
import { queryArbitrary } from './random-queries';
import { runAnalytics } from '../../src/analytics/run';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * The read planner's proof (README "Performance"): for every viewer (role, API-key scope set) and
 * both consent states, each query is answered with READ_PLANNER off and on, through the real HTTP
 * server (two servers on the same database, one with the planner off, one on), and the two answers
 * must have the same `data`, the same errors (message, path, code, reason) and the same audit rows
 * (each request's own, by the X-Request-Id the test sends, so that several comparisons run at once). On: every probe of the role × field matrix, the operations
 * documents, and random valid queries drawn from the served schema (random-queries.ts), so a field
 * added later is drawn without this file changing. Counts of compiled root fields show the planner
 * really answered a good share of them.
 */
let app: TestApp;
let planned: { server: RapportServer; url: string };
let f: AuthzFixtures;
let schema: GraphQLSchema;
/** Comparisons in flight at once: each is a handful of round trips, and the database answers while the test waits. */
const CONCURRENCY = 4;
const PEOPLE = ['consenting', 'private'] as const;

beforeAll(async () => {
  app = await startTestApp();
  f = await createAuthzFixtures(app);
  // A second page of orders, interactions and consent history for each person (keyset cursors, hasNextPage).
  for (const who of PEOPLE) {
    for (const day of ['2026-02-03', '2026-03-04']) {
      await ok(app.gql(`mutation($input: RecordOrderInput!) { recordOrder(input: $input) { order { id } } }`,
        { input: { customerId: f[who].id, placedAt: `${day}T10:11:12.345Z`, channel: 'STORE', currency: 'EUR', lines: [{ productId: f.productId, quantity: 2 }, { productId: f.productId, quantity: 1 }] } }));
      await ok(app.gql(`mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) { duplicate } }`,
        { input: { customerId: f[who].id, channel: 'WEB', type: 'PAGE_VIEW', occurredAt: `${day}T09:00:00.123Z`, properties: { page: `/p/${day}` } } }));
    }
  }
  // Customer.value: a PROFILING objection for one of them (model scores withheld), then an analytics run.
  await ok(app.gql(`mutation($input: SetConsentInput!) { setConsent(input: $input) { id } }`,
    { input: { customerId: f.private.id, purpose: 'PROFILING', channel: 'ANY', status: 'DENIED', source: 'test', policyVersion: 'v1' } }));
  expect(await runAnalytics(app.orm.em.fork() as EntityManager)).not.toBeNull();
  schema = await buildAppSchema();
  // `app` answers with the planner off, `planned` (same database, same configuration otherwise) with it on.
  app.config.readPlanner = false;
  const config = { ...app.config, readPlanner: true };
  const server = await createServer({ orm: app.orm, config, logger: createLogger(config) });
  planned = { server, url: `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}/graphql` };
}, 120_000);
afterAll(async () => {
  await planned?.server.close();
  await app?.close();
});

/** Runs `work` over `items`, CONCURRENCY at a time, in order of start. */
async function inPool<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

type Answer = { data: unknown; errors: string[]; audit: string[] };

async function answer(viewer: ViewerSpec, query: string, variables: Record<string, unknown>, planner: boolean): Promise<Answer> {
  const requestId = randomUUID();
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': requestId };
  if (viewer.apiKey) headers['x-api-key'] = viewer.apiKey(f);
  else if (viewer.role) headers.authorization = `Bearer ${await app.tokenFor(viewer.role, viewer.self ? f[viewer.self].id : undefined)}`;
  const http = await fetch(planner ? planned.url : app.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  expect(http.headers.get('x-request-id')).toBe(requestId);
  const res = (await http.json()) as { data?: unknown; errors?: Array<{ message: string; path?: unknown; extensions?: Record<string, unknown> }> };
  const audit = await app.sql<Record<string, unknown>>(`select actor, role, api_key_id, action, operation, customer_id, fields from audit_log where request_id = ?`, [requestId]);
  return {
    // Inferred preference scores decay with the time of the request, so two reads differ in the 9th
    // digit whichever path answers: numbers are compared to 6 significant digits.
    data: JSON.parse(JSON.stringify(res.data ?? null, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v))),
    // Error order across parallel root fields is not defined by GraphQL: compared as a set.
    errors: (res.errors ?? []).map((e) => JSON.stringify([e.message, e.path, e.extensions?.code, e.extensions?.reason])).sort(),
    // With `data: null` (a non-null root field failed) graphql-js answers as soon as that error is
    // known, while the other root fields may still be running: which of their reads were recorded by
    // then is timing, on either path (and nothing was returned). Compared only when data came back.
    audit: res.data == null ? [] : audit.map((r) => JSON.stringify(r)).sort(),
  };
}

async function compare(viewer: ViewerSpec, query: string, variables: Record<string, unknown>): Promise<string | null> {
  const [off, on] = await Promise.all([answer(viewer, query, variables, false), answer(viewer, query, variables, true)]);
  const a = JSON.stringify(off);
  const b = JSON.stringify(on);
  if (a === b) return null;
  if (off.data === null && on.data === null && on.errors.length) {
    // A non-null field failed up to the root: graphql-js answers with the first failure it sees and
    // drops the rest, and which comes first is timing (it differs between two runs of the same path).
    // Each error the planner's answer carries must then be one the resolvers give for that query.
    const seen = new Set(off.errors);
    for (let i = 0; i < 3 && !on.errors.every((e) => seen.has(e)); i++) for (const e of (await answer(viewer, query, variables, false)).errors) seen.add(e);
    if (on.errors.every((e) => seen.has(e))) return null;
  }
  return `${viewer.name}: ${query}\n  off: ${a.slice(0, 1500)}\n  on:  ${b.slice(0, 1500)}`;
}

const CASES = VIEWERS.flatMap((v) => PEOPLE.map((who) => [v, who] as const));

it('answers every probe of the role × field matrix as the resolvers do, for every viewer and consent state', async () => {
  const before = plannerStats.compiled;
  const probes = Object.keys(PATHS).flatMap((type) => Object.keys(EXPECTED_TYPES[type] as object).map((field) => probeQuery(type, field)));
  const mismatches: string[] = [];
  await inPool(CASES.flatMap(([viewer, who]) => probes.map((q) => [viewer, who, q] as const)), async ([viewer, who, q]) => {
    const m = await compare(viewer, q, { id: f[who].id });
    if (m) mismatches.push(m);
  });
  expect(mismatches).toEqual([]);
  expect(plannerStats.compiled - before).toBeGreaterThan(0);
}, 1_800_000);

it('answers the customer-360 and list documents as the resolvers do', async () => {
  const docs = ['customer.graphql', 'customer360.graphql'].map((n) => parse(readFileSync(path.join(__dirname, '../operations', n), 'utf8')));
  const variables: Record<string, (who: (typeof PEOPLE)[number]) => Record<string, unknown>> = {
    CustomerById: (who) => ({ id: f[who].id }),
    CustomerByIdentifier: (who) => ({ kind: 'EMAIL', value: f[who].pii[0] }),
    CustomersPage: () => ({ first: 3 }),
    NodeById: (who) => ({ id: f[who].id }),
    CustomerInteractions: (who) => ({ id: f[who].id, first: 2 }),
    CustomerConsents: (who) => ({ id: f[who].id }),
    Customer360: () => ({ first: 5, orders: 2, interactions: 2 }),
  };
  const mismatches: string[] = [];
  const before = plannerStats.compiled;
  const work = docs.flatMap((doc) => doc.definitions.flatMap((def) => (def.kind === 'OperationDefinition' && def.name
    ? CASES.map(([viewer, who]) => [viewer, print(def), variables[def.name!.value]?.(who) ?? {}] as const)
    : [])));
  await inPool(work, async ([viewer, query, vars]) => {
    const m = await compare(viewer, query, vars);
    if (m) mismatches.push(m);
  });
  expect(mismatches).toEqual([]);
  expect(plannerStats.compiled - before).toBeGreaterThan(0);
}, 1_800_000);

it('answers 2,000 random valid queries drawn from the schema as the resolvers do', async () => {
  const before = { ...plannerStats, fields: { ...plannerStats.fields } };
  const runs = Number(process.env.PLANNER_FC_RUNS ?? 2000);
  const queries = queryArbitrary(schema, PLANNED_ROOTS).filter(({ query }) => validate(schema, parse(query)).length === 0);
  // The same draws on every run (PLANNER_FC_SEED), compared CONCURRENCY at a time; the first mismatch
  // stops the run and is reported with its query (as fc.assert's endOnFailure did: no shrinking).
  const drawn = fc.sample(fc.tuple(queries, fc.constantFrom(...CASES)), { numRuns: runs, seed: Number(process.env.PLANNER_FC_SEED ?? 16) });
  expect(drawn).toHaveLength(runs);
  const mismatches: string[] = [];
  await inPool(drawn, async ([{ query }, [viewer, who]]) => {
    if (mismatches.length) return;
    const m = await compare(viewer, query, query.includes('$id') ? { id: f[who].id } : {});
    if (m) mismatches.push(m);
  });
  expect(mismatches.slice(0, 1)).toEqual([]);
  const compiled = plannerStats.compiled - before.compiled;
  const fellBack = plannerStats.fallback - before.fallback;
  // The planner must have answered a real share of them (not only fallen back), and with each root
  // field and each field resolver it stands in for (a field the planner learns later included).
  const answered = Object.fromEntries(PLANNED_RESOLVERS.map((k) => [k, (plannerStats.fields[k] ?? 0) - (before.fields[k] ?? 0)]));
  const direct = plannerStats.direct - before.direct;
  const gaveUp = plannerStats.directGaveUp - before.directGaveUp;
  console.log(`random queries: ${compiled} root fields compiled, ${fellBack} fell back; answered with ${JSON.stringify(answered)}; direct walk: ${direct} answered, ${gaveUp} given to graphql-js`);
  expect(compiled).toBeGreaterThan(runs * 0.15);
  // The direct walk (src/planner/direct-walk.ts) answered a real share of them too, so it is compared as well.
  expect(direct).toBeGreaterThan(runs * 0.05);
  expect(PLANNED_RESOLVERS.filter((k) => !answered[k])).toEqual([]);
}, 1_800_000);
