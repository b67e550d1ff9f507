import { Client } from 'pg';
import { SignJWT } from 'jose';
import { startTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/test-server';
import { databaseDigest, makeCustomer, makeProduct } from '../helpers/fixtures';
import { loadConfig } from '../../src/config';
import { Role } from '../../src/auth/viewer';
import { bearer, leaks, post, read, startCustomApp, type CustomApp } from './helpers';

/**
 * Regression tests of issue #13 (outside security test): nested plain lists, the per-request budget,
 * timeouts that stop work, unauthenticated amplification through `variables`, unstorable input, and
 * production defaults. Every request goes through the real HTTP server.
 */

/** A product graph where every product is "also bought" with every other one. */
async function denseProducts(app: { sql: TestApp['sql'] }): Promise<void> {
  await app.sql(
    `insert into product_similarities (product_id, similar_product_id, score, co_buyers, computed_at)
     select a.id, b.id, 0.5, 2, now() from products a cross join products b where a.id <> b.id`,
  );
}

const nestedAlsoBought = (id: string, levels: number) =>
  `{ product(id: "${id}") { ${'alsoBought(first: 50) { product { '.repeat(levels)}sku${' } }'.repeat(levels)} } }`;

let app: TestApp;
let admin: Record<string, string>;
let productGids: string[];
beforeAll(async () => {
  app = await startTestApp();
  admin = bearer(await app.tokenFor(Role.ADMIN));
  const products = [];
  for (let i = 0; i < 8; i++) products.push(await makeProduct(app));
  productGids = products.map((p) => p.id);
  await denseProducts(app);
});
afterAll(async () => {
  await app?.close();
});

describe('cost: every list field by its bound, nested lists multiply', () => {
  it('refuses alsoBought(first: 50) nested 4 deep (it used to run out of memory, cost 18)', async () => {
    const res = await post(app.url, { query: nestedAlsoBought(productGids[0], 4) }, admin);
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost', max: 40_000 });
    // 1 + 50 × (1 + 50 × (1 + 50 × (1 + 50 × 2))) … far past the limit.
    expect(res.json.errors[0].extensions.actual).toBeGreaterThan(6_000_000);
    expect(res.json.extensions?.sqlStatements ?? 0).toBe(0);
  });

  it('counts a plain list without `first` by its documented length, and nodes(ids:) by its ids', async () => {
    const small = await startTestApp({ MAX_COST: '50' });
    try {
      // Order.lines is costed at 5 items: customers 1 + 1 × (nodes 1 + orders 1 + 10 × (nodes 1 + lines 1 + 5 × quantity 1)) = 73.
      const lines = await post(small.url, { query: '{ customers(first: 1) { nodes { orders(first: 10) { nodes { lines { quantity } } } } } }' }, bearer(await small.tokenFor(Role.ADMIN)));
      expect(lines.json.errors[0].extensions).toMatchObject({ limit: 'cost', actual: 1 + 1 * (1 + 1 + 10 * (1 + 1 + 5 * 1)) });
      const ids = Array.from({ length: 30 }, (_, i) => `"id${i}"`).join(',');
      const nodes = await post(small.url, { query: `{ nodes(ids: [${ids}]) { id __typename } }` }, bearer(await small.tokenFor(Role.ADMIN)));
      expect(nodes.json.errors[0].extensions).toMatchObject({ limit: 'cost', actual: 1 + 30 * 2 });
    } finally {
      await small.close();
    }
  });

  it('refuses 500 duplicated __typename (graphql-cop "field duplication")', async () => {
    const res = await post(app.url, { query: `{ ${'__typename '.repeat(500)}}` });
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'duplicates', max: 100, actual: 499 });
    // Overlapping fragments repeat a few fields, as real clients do.
    const ok = await post(app.url, { query: '{ __typename ...Q ...Q } fragment Q on Query { __typename }' });
    expect(ok.json).toEqual({ data: { __typename: 'Query' }, extensions: expect.anything() });
  });
});

describe('the per-request budget stops a request while it runs', () => {
  let budget: TestApp;
  beforeAll(async () => {
    // A static cost limit high enough to let the nested lists through: only the budget is left.
    budget = await startTestApp({ MAX_COST: '100000000', MAX_ALIASES: '1000', MAX_ROWS: '300', MAX_RESOLVED_FIELDS: '2000' });
    for (let i = 0; i < 8; i++) await makeProduct(budget);
    await denseProducts(budget);
  });
  afterAll(async () => {
    await budget?.close();
  });

  it('answers BUDGET_EXCEEDED (one error) past MAX_ROWS, and serves other clients meanwhile', async () => {
    const h = bearer(await budget.tokenFor(Role.ADMIN));
    const [gid] = (await post(budget.url, { query: '{ products(first: 1) { nodes { id } } }' }, h)).json.data.products.nodes.map((n: { id: string }) => n.id);
    // 7 + 49 + 343 + 2,401 rows if it ran to the end.
    const big = post(budget.url, { query: nestedAlsoBought(gid, 4) }, h);
    const other = post(budget.url, { query: '{ products(first: 2) { nodes { sku } } }' }, h);
    const [res, small] = await Promise.all([big, other]);
    expect(small.json.errors).toBeUndefined();
    expect(small.json.data.products.nodes).toHaveLength(2);
    expect(res.json.errors).toEqual([{ message: expect.stringMatching(/past 300 list items/), extensions: { code: 'BUDGET_EXCEEDED', limit: 'rows', max: 300 } }]);
    // The lists below the cut never ran: the 2,401 products of the last level are not in the answer.
    expect((res.text.match(/"sku"/g) ?? []).length).toBeLessThan(300);
    expect(leaks(res.text)).toBeUndefined();
    // Three levels (399 rows) are over it too; two (56) are not.
    expect((await post(budget.url, { query: nestedAlsoBought(gid, 3) }, h)).json.errors[0].extensions.code).toBe('BUDGET_EXCEEDED');
    const two = await post(budget.url, { query: nestedAlsoBought(gid, 2) }, h);
    expect(two.json.errors).toBeUndefined();
    expect(two.json.data.product.alsoBought).toHaveLength(7);
  });

  it('counts resolved fields too (MAX_RESOLVED_FIELDS)', async () => {
    const h = bearer(await budget.tokenFor(Role.ADMIN));
    const [gid] = (await post(budget.url, { query: '{ products(first: 1) { nodes { id } } }' }, h)).json.data.products.nodes.map((n: { id: string }) => n.id);
    // 7 + 49 rows (under 300), each with 40 aliased fields: 56 × 40 = 2,240 fields.
    const fields = Array.from({ length: 39 }, (_, i) => `f${i}: __typename`).join(' ');
    const query = `{ product(id: "${gid}") { alsoBought(first: 50) { ${fields} product { alsoBought(first: 50) { ${fields} score } } } } }`;
    const res = await post(budget.url, { query }, h);
    expect(res.json.errors).toEqual([{ message: expect.any(String), extensions: { code: 'BUDGET_EXCEEDED', limit: 'fields', max: 2000 } }]);
  });

  it('counts the fields of a list merged from a fragment and a field of its own by both (not by the fragment alone)', async () => {
    const h = bearer(await budget.tokenFor(Role.ADMIN));
    const [gid] = (await post(budget.url, { query: '{ products(first: 1) { nodes { id } } }' }, h)).json.data.products.nodes.map((n: { id: string }) => n.id);
    // \`light\` asks for the fragment's alsoBought alone (1 field per item). \`heavy\` merges the same
    // fragment node with alsoBought fields of its own, 41 per item over 7 + 49 rows: 2,300 fields,
    // which a count remembered for the fragment's node alone would put at 63.
    const fields = Array.from({ length: 40 }, (_, i) => `f${i}: __typename`).join(' ');
    const query = `{
      light: product(id: "${gid}") { ...L }
      heavy: product(id: "${gid}") { ...L alsoBought(first: 50) { ${fields} product { ...L alsoBought(first: 50) { ${fields} } } } }
    }
    fragment L on Product { alsoBought(first: 50) { score } }`;
    const res = await post(budget.url, { query }, h);
    expect(res.json.errors).toEqual([{ message: expect.any(String), extensions: { code: 'BUDGET_EXCEEDED', limit: 'fields', max: 2000 } }]);
    // The same document without the heavy part stays far under the limit.
    const light = await post(budget.url, { query: `{ light: product(id: "${gid}") { ...L } } fragment L on Product { alsoBought(first: 50) { score } }` }, h);
    expect(light.json.errors).toBeUndefined();
    expect(light.json.data.light.alsoBought).toHaveLength(7);
  });
});

describe('the request timeout stops the work', () => {
  let slow: CustomApp;
  beforeAll(async () => {
    // The statement timeout is far away: only the request timeout can end the statement.
    slow = await startCustomApp({ REQUEST_TIMEOUT_MS: '300' }, { statementTimeoutMs: 120_000 });
  });
  afterAll(async () => {
    await slow?.close();
  });

  it('answers 503, cancels the running statement in PostgreSQL, and keeps serving others', async () => {
    const h = bearer(await (await import('../../src/auth/jwt')).signToken(TEST_JWT_SECRET, { sub: 'dos-admin', role: Role.ADMIN }));
    const url = slow.orm.config.get('clientUrl')!;
    const holder = new Client({ connectionString: url });
    await holder.connect();
    await holder.query('begin');
    await holder.query('lock table customers in access exclusive mode');
    const waiting = async () =>
      Number((await holder.query(`select count(*) n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and wait_event_type = 'Lock'`)).rows[0].n);
    try {
      const blocked = post(slow.url, { query: '{ customers(first: 5) { totalCount nodes { id } } }' }, h);
      // Wait until the request's statement is really waiting on the lock, then ask for something else.
      while ((await waiting()) === 0) await new Promise((r) => setTimeout(r, 20));
      const meanwhile = await post(slow.url, { query: '{ __typename }' }, h);
      expect(meanwhile.json.data).toEqual({ __typename: 'Query' });
      const res = await blocked;
      expect(res.status).toBe(503);
      expect(res.json.errors[0].extensions.code).toBe('REQUEST_TIMEOUT');
      // The statement is gone from PostgreSQL while the lock is still held (before: it waited for
      // the lock until the statement timeout, here 2 minutes).
      let left = await waiting();
      for (let i = 0; i < 100 && left > 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        left = await waiting();
      }
      expect(left).toBe(0);
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    // The cancelled connection went back to the pool in a usable state: six answers with data, and no
    // error but this app's own short request timeout, which a loaded machine can reach on any query.
    let answered = 0;
    for (let i = 0; i < 60 && answered < 6; i++) {
      const after = await post(slow.url, { query: '{ customers(first: 1) { totalCount } }' }, h);
      if (after.json.errors) expect(after.json.errors).toEqual([expect.objectContaining({ extensions: { code: 'REQUEST_TIMEOUT' } })]);
      else {
        expect(after.json.data.customers.totalCount).toEqual(expect.any(Number));
        answered++;
      }
    }
    expect(answered).toBe(6);
  });
});

describe('unauthenticated amplification through variables', () => {
  const setConsent = 'mutation ($input: SetConsentInput!) { setConsent(input: $input) { id } }';

  it('refuses 80,000 keys before coercion: a short 400, no SQL, for anyone', async () => {
    // 80,000 keys in under 1 MB (the body limit).
    const input = Object.fromEntries(Array.from({ length: 80_000 }, (_, i) => [String(i), 0]));
    const res = await post(app.url, { query: setConsent, variables: { input } });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ errors: [{ message: 'an object in the variables has 80000 keys; the limit is 500', extensions: { code: 'BAD_REQUEST', limit: 'variableKeys', max: 500 } }] });
    const deep = await post(app.url, { query: setConsent, variables: { input: JSON.parse(`${'{"a":'.repeat(60)}1${'}'.repeat(60)}`) } });
    expect(deep.status).toBe(400);
    expect(deep.json.errors[0].extensions).toEqual({ code: 'BAD_REQUEST', limit: 'variableDepth', max: 40 });
    const wide = await post(app.url, { query: setConsent, variables: { input: { list: Array.from({ length: 400 }, () => Array.from({ length: 200 }, () => 0)) } } });
    expect(wide.json.errors[0].extensions).toEqual({ code: 'BAD_REQUEST', limit: 'variableEntries', max: 50_000 });
  });

  it('answers too many coercion errors with 400 TOO_MANY_ERRORS, never echoing the whole value', async () => {
    const input = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`unknownField${i}`, 'x'.repeat(200)]));
    const res = await post(app.url, { query: setConsent, variables: { input } });
    expect(res.status).toBe(400);
    const codes = res.json.errors.map((e: { extensions: { code: string } }) => e.extensions.code);
    expect(codes).not.toContain('INTERNAL_SERVER_ERROR');
    expect(codes[codes.length - 1]).toBe('TOO_MANY_ERRORS');
    for (const e of res.json.errors) expect(e.message.length).toBeLessThanOrEqual(300);
    // 51 short errors, not 51 copies of an 80 KB value.
    expect(res.text.length).toBeLessThan(30_000);
  });

  it('cuts a long echoed value out of a message', async () => {
    const res = await post(app.url, { query: 'query ($k: IdentityKind!) { customerByIdentifier(kind: $k, value: "a") { id } }', variables: { k: 'E'.repeat(100_000) } }, admin);
    expect(res.status).toBe(400);
    expect(res.json.errors[0].message.length).toBeLessThanOrEqual(300);
    expect(res.json.errors[0].message).toMatch(/^Variable "\$k" got invalid value "EEE.* … .*IdentityKind/);
  });
});

describe('unstorable input is BAD_USER_INPUT naming the field, never INTERNAL_SERVER_ERROR', () => {
  it('NUL and lone surrogates, year 0, 1e400, NUL in a sku: in variables and literals', async () => {
    const customer = await makeCustomer(app);
    const upsert = 'mutation ($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { created } }';
    const order = (sku: string) => ({ customerId: customer.id, channel: 'WEB', currency: 'EUR', placedAt: '2026-01-01T00:00:00Z', lines: [{ sku, quantity: 1 }] });
    const cases: Array<[unknown, string]> = [
      [{ query: upsert, variables: { i: { email: 'lone@example.com', firstName: 'A\ud800B' } } }, 'firstName'],
      [{ query: upsert, variables: { i: { email: 'lone2@example.com', lastName: '\udc00' } } }, 'lastName'],
      [{ query: upsert, variables: { i: { email: 'nul@example.com', firstName: 'A\u0000B' } } }, 'firstName'],
      [{ query: 'mutation { upsertCustomer(input: { email: "lit@example.com", firstName: "A\\u0000" }) { created } }' }, 'firstName'],
      [{ query: '{ customers(filter: { value: { churnRiskAtLeast: 1e400 } }) { totalCount } }' }, 'churnRiskAtLeast'],
      [{ query: `mutation { recordInteraction(input: { customerId: "${customer.id}", channel: WEB, type: PAGE_VIEW, occurredAt: "0000-01-01T00:00:00Z" }) { duplicate } }` }, 'occurredAt'],
      [{ query: 'mutation ($i: RecordInteractionInput!) { recordInteraction(input: $i) { duplicate } }', variables: { i: { customerId: customer.id, channel: 'WEB', type: 'PAGE_VIEW', occurredAt: '0000-06-01T00:00:00Z' } } }, 'occurredAt'],
      [{ query: 'mutation ($i: RecordInteractionInput!) { recordInteraction(input: $i) { duplicate } }', variables: { i: { customerId: customer.id, channel: 'WEB', type: 'PAGE_VIEW', properties: { note: 'a\u0000b' } } } }, 'properties'],
      [{ query: 'mutation ($i: RecordOrderInput!) { recordOrder(input: $i) { created } }', variables: { i: order('SKU\u0000') } }, 'sku'],
      [{ query: '{ customers(filter: { createdAfter: "0000-01-01T00:00:00Z" }) { totalCount } }' }, 'createdAfter'],
    ];
    const before = await databaseDigest(app);
    for (const [body, field] of cases) {
      const res = await post(app.url, body, admin);
      expect({ field, status: res.status, error: res.json.errors?.[0]?.extensions }).toEqual({ field, status: 400, error: { code: 'BAD_USER_INPUT', field } });
      expect(res.json.extensions?.sqlStatements ?? 0).toBe(0);
    }
    expect(await databaseDigest(app)).toBe(before);
    // A lone surrogate escape in a literal does not even lex: 400 GRAPHQL_PARSE_FAILED.
    const lexed = await post(app.url, { query: 'mutation { upsertCustomer(input: { email: "lit@example.com", firstName: "A\\ud800" }) { created } }' }, admin);
    expect({ status: lexed.status, code: lexed.json.errors[0].extensions.code }).toEqual({ status: 400, code: 'GRAPHQL_PARSE_FAILED' });
    // Paired surrogates (an emoji) and year 1 are fine.
    const ok = await post(app.url, { query: upsert, variables: { i: { email: 'emoji@example.com', firstName: 'A😀' } } }, admin);
    expect(ok.json.errors).toBeUndefined();
  });
});

describe('production defaults', () => {
  it('refuses tokens without exp, and tokens valid for longer than JWT_MAX_LIFETIME_SECONDS', async () => {
    const key = new TextEncoder().encode(TEST_JWT_SECRET);
    const noExp = await new SignJWT({ role: Role.ADMIN }).setProtectedHeader({ alg: 'HS256' }).setSubject('no-exp').setIssuedAt().sign(key);
    const month = await new SignJWT({ role: Role.ADMIN }).setProtectedHeader({ alg: 'HS256' }).setSubject('month').setIssuedAt().setExpirationTime('30d').sign(key);
    const hour = await new SignJWT({ role: Role.ADMIN }).setProtectedHeader({ alg: 'HS256' }).setSubject('hour').setIssuedAt().setExpirationTime('1h').sign(key);
    const q = { query: '{ customers(first: 1) { totalCount } }' };
    for (const token of [noExp, month]) {
      const res = await post(app.url, q, bearer(token));
      expect(res.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(res.json.data ?? null).toBeNull();
    }
    expect((await post(app.url, q, bearer(hour))).json.errors).toBeUndefined();
    const long = await startTestApp({ JWT_MAX_LIFETIME_SECONDS: String(40 * 24 * 3600) });
    try {
      expect((await post(long.url, q, bearer(month))).json.errors).toBeUndefined();
      expect((await post(long.url, q, bearer(noExp))).json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    } finally {
      await long.close();
    }
  });

  it('serves GraphiQL only with PLAYGROUND on (off by default in production)', async () => {
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), PSEUDONYM_KEYS: 'k'.repeat(32) }).playground).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development' }).playground).toBe(true);
    const on = await read(await fetch(app.url.replace('/graphql', '/'), { headers: { accept: 'text/html' } }));
    expect(on.text).toMatch(/graphiql/i);
    const off = await startTestApp({ PLAYGROUND: 'false' });
    try {
      const page = await read(await fetch(off.url.replace('/graphql', '/'), { headers: { accept: 'text/html' } }));
      expect(page.status).toBe(404);
      expect(page.text).not.toMatch(/graphiql/i);
      const assets = await fetch(off.url.replace('/graphql', '/playground/assets/graphiql.min.js'));
      expect(assets.status).toBe(404);
      await assets.text();
    } finally {
      await off.close();
    }
  });
});
