import { gzipSync } from 'node:zlib';
import { getIntrospectionQuery, print } from 'graphql';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { makeCustomer } from '../helpers/fixtures';
import { Customer360Document, CustomersPageDocument } from '../generated/graphql';
import { customer360Query, playgroundExamples } from '../../src/playground/examples';
import { loadConfig } from '../../src/config';
import { Role } from '../../src/auth/viewer';
import { bearer, leaks, post, read } from './helpers';

/** Default limits (what every other test file runs with), and a second app with small, configured ones. */
let app: TestApp;
let small: TestApp;
beforeAll(async () => {
  [app, small] = await Promise.all([
    startTestApp(),
    startTestApp({ MAX_DEPTH: '4', MAX_ALIASES: '3', MAX_DIRECTIVES: '2', MAX_COST: '100', MAX_TOKENS: '200', BODY_LIMIT: '2kb' }),
  ]);
  await makeCustomer(app);
});
afterAll(async () => {
  await Promise.all([app?.close(), small?.close()]);
});

async function adminPost(target: TestApp, body: unknown, headers: Record<string, string> = {}) {
  return post(target.url, body, { ...bearer(await target.tokenFor(Role.ADMIN)), ...headers });
}

/** A limit breach: HTTP 400, GraphQL-shaped, no data, no leak. */
function expectRejected(res: Awaited<ReturnType<typeof post>>, limit: string, max: number) {
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toMatch(/json/);
  expect(res.json.data).toBeUndefined();
  const err = res.json.errors[0];
  expect(err.extensions).toMatchObject({ code: 'GRAPHQL_VALIDATION_FAILED', limit, max });
  expect(err.extensions.actual).toBeGreaterThan(max);
  expect(err.message).toContain(`limit is ${max}`);
  expect(leaks(res.text)).toBeUndefined();
}

describe('default limits let real clients through', () => {
  it('the playground examples, the README query, the typed operations and GraphiQL introspection', async () => {
    const docs = [customer360Query, ...playgroundExamples.filter((e) => e.name !== 'RecordInteraction').map((e) => e.query)];
    for (const query of docs) {
      const res = await adminPost(app, { query });
      expect({ status: res.status, errors: res.json.errors }).toEqual({ status: 200, errors: undefined });
    }
    // The largest typed operation at the largest page size (cost 31,801 of 40,000: its plain lists count too).
    const big = await adminPost(app, { query: print(Customer360Document), variables: { first: 100 } });
    expect(big.json.errors).toBeUndefined();
    const page = await adminPost(app, { query: print(CustomersPageDocument), variables: { first: 100 } });
    expect(page.json.errors).toBeUndefined();
    // What GraphiQL sends (depth 15: the TypeRef fragment nests ofType 9 times).
    const full = await adminPost(app, { query: getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true }) });
    expect(full.status).toBe(200);
    // The whole introspection answers without an error: type-graphql's own check at build time (an
    // introspection run, skipped there for its cost: build-schema.ts) is made here, on the served schema.
    expect(full.json.errors).toBeUndefined();
    expect(full.json.data.__schema.queryType.name).toBe('Query');
  });

  it('an anonymous { __typename } works (shield guards no meta field)', async () => {
    const res = await post(app.url, { query: '{ __typename }' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ data: { __typename: 'Query' } });
    expect(res.json.errors).toBeUndefined();
  });
});

describe('depth, aliases, directives: 400 with the limit named', () => {
  it('rejects depth over the default of 15, also when hidden in fragments', async () => {
    // node > customer > (orders > nodes > customer) × 5 > orders > nodes > id: depth 20.
    const deep = `{ node(id: "x") { ... on Order { customer { ${'orders { nodes { customer { '.repeat(5)}orders { nodes { id } }${' } } }'.repeat(5)} } } } }`;
    expectRejected(await adminPost(app, { query: deep }), 'depth', 15);
    const viaFragments = `query { node(id: "x") { ...A } }
      fragment A on Order { customer { orders { nodes { ...B } } } }
      fragment B on Order { customer { orders { nodes { ...C } } } }
      fragment C on Order { customer { orders { nodes { ...D } } } }
      fragment D on Order { customer { orders { nodes { ...E } } } }
      fragment E on Order { customer { orders { nodes { id } } } }`;
    expectRejected(await adminPost(app, { query: viaFragments }), 'depth', 15);
  });

  it('honours MAX_DEPTH, MAX_ALIASES and MAX_DIRECTIVES', async () => {
    expectRejected(await adminPost(small, { query: '{ customers { nodes { orders { nodes { id } } } } }' }), 'depth', 4);
    expect((await adminPost(small, { query: '{ customers(first: 2) { nodes { orders(first: 2) { totalCount } } } }' })).status).toBe(200);

    expectRejected(await adminPost(small, { query: '{ a: __typename b: __typename c: __typename d: __typename }' }), 'aliases', 3);
    // A fragment spread twice counts twice.
    expectRejected(await adminPost(small, { query: '{ ...F ...F } fragment F on Query { a: __typename b: __typename }' }), 'aliases', 3);
    expect((await adminPost(small, { query: '{ a: __typename b: __typename c: __typename }' })).status).toBe(200);

    expectRejected(await adminPost(small, { query: '{ __typename @include(if: true) a: __typename @skip(if: false) @include(if: true) }' }), 'directives', 2);
    expect((await adminPost(small, { query: '{ __typename @include(if: true) a: __typename @skip(if: false) }' })).status).toBe(200);
  });

  it('rejects hundreds of aliases and directives at the defaults', async () => {
    const aliases = Array.from({ length: 500 }, (_, i) => `a${i}: __typename`).join(' ');
    expectRejected(await adminPost(app, { query: `{ ${aliases} }` }), 'aliases', 30);
    const directives = Array.from({ length: 60 }, () => '@include(if: true)').join(' ');
    expectRejected(await adminPost(app, { query: `{ __typename ${directives} }` }), 'directives', 50);
  });
});

describe('cost: each field 1, a connection multiplies its selection by first', () => {
  it('rejects a costly query, counting variables and argument defaults', async () => {
    const query = 'query ($n: Int!) { customers(first: $n) { nodes { orders(first: $n) { nodes { id placedAt channel } } } } }';
    // 1 + n * (1 + 1 + n * (1 + 3)): n = 50 → 10,151; n = 100 → 40,201.
    expect((await adminPost(app, { query, variables: { n: 50 } })).json.errors).toBeUndefined();
    const res = await adminPost(app, { query, variables: { n: 100 } });
    expectRejected(res, 'cost', 40_000);
    expect(res.json.errors[0].extensions.actual).toBe(40_201);
    // Argument defaults: customers 20, orders 10 → 1 + 20 * (1 + (1 + 10 * 1)) = 241 > 100.
    const byDefault = await adminPost(small, { query: '{ customers { nodes { orders { totalCount } } } }' });
    expectRejected(byDefault, 'cost', 100);
    expect(byDefault.json.errors[0].extensions.actual).toBe(241);
  });

  it('lets an operation that costs exactly MAX_COST through and refuses one that costs one more', async () => {
    const query = '{ customers(first: 40) { nodes { id email firstName } } }';
    // The cost as the server counts it, read from a refusal on the app whose limit (100) it is over.
    const measured = await adminPost(small, { query });
    expectRejected(measured, 'cost', 100);
    const cost = measured.json.errors[0].extensions.actual as number;
    const [atLimit, belowLimit] = await Promise.all([startTestApp({ MAX_COST: String(cost) }), startTestApp({ MAX_COST: String(cost - 1) })]);
    try {
      const allowed = await adminPost(atLimit, { query });
      expect({ status: allowed.status, errors: allowed.json.errors }).toEqual({ status: 200, errors: undefined });
      const refused = await adminPost(belowLimit, { query });
      expectRejected(refused, 'cost', cost - 1);
      expect(refused.json.errors[0].extensions.actual).toBe(cost);
    } finally {
      await Promise.all([atLimit.close(), belowLimit.close()]);
    }
  });

  it('costs the same query text again for each request\'s variables (the cost is remembered per operation and variable values)', async () => {
    const costOf = async (query: string, variables: Record<string, unknown>) => {
      const res = await adminPost(small, { query, variables });
      if (res.status === 400) return res.json.errors[0].extensions.actual as number;
      expect({ status: res.status, errors: res.json.errors }).toEqual({ status: 200, errors: undefined });
      return 'allowed';
    };
    // 1 + n * (1 + 2): 31 for 10, 121 for 40 (over 100).
    const page = 'query($n: Int) { customers(first: $n) { nodes { id email } } }';
    expect(await costOf(page, { n: 10 })).toBe('allowed');
    expect(await costOf(page, { n: 40 })).toBe(121);
    expect(await costOf(page, { n: 10 })).toBe('allowed');
    expect(await costOf(page, { n: 40, unused: 1 })).toBe(121);
    // A named campaign is one row unless bySegment: `bySegment` is read only when `campaign` is set.
    const metrics = 'query($c: String, $b: Boolean) { campaignMetrics(since: "2026-01-01T00:00:00Z", campaign: $c, bySegment: $b) { campaign sends } }';
    expect(await costOf(metrics, { c: null })).toBe(201);
    expect(await costOf(metrics, { c: 'spring', b: false })).toBe('allowed');
    expect(await costOf(metrics, { c: 'spring', b: true })).toBe(201);
    expect(await costOf(metrics, { c: 'spring', b: false })).toBe('allowed');
    expect(await costOf(metrics, { c: 'spring' })).toBe('allowed');
    expect(await costOf(metrics, { c: null, b: false })).toBe(201);
  });

  it('counts a page size past MAX_PAGE_SIZE as MAX_PAGE_SIZE: the resolver still answers BAD_USER_INPUT', async () => {
    const res = await adminPost(app, { query: print(CustomersPageDocument), variables: { first: 10_000 } });
    expect(res.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('does not run a rejected operation (no SQL)', async () => {
    const res = await adminPost(app, { query: '{ customers(first: 100) { nodes { orders(first: 100) { nodes { id lines { quantity } } } } } }' });
    expectRejected(res, 'cost', 40_000);
    expect(res.json.extensions?.sqlStatements ?? 0).toBe(0);
  });
});

describe('tokens and syntax: 400 GRAPHQL_PARSE_FAILED, never 500', () => {
  it('stops parsing past MAX_TOKENS', async () => {
    const res = await adminPost(small, { query: `{ ${'x '.repeat(300)}}` });
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(res.json.errors[0].message).toMatch(/Document contains more th[ae][nt] 200 tokens/) // graphql-js 16 spells it "more that";
  });

  it('answers 400 for syntax errors, with or without a token limit in play', async () => {
    for (const query of ['{', '{ customers(first: ) }', 'query {{{{', '"unterminated', '{ a: }']) {
      for (const target of [app, small]) {
        const res = await adminPost(target, { query });
        expect(res.status).toBe(400);
        expect(res.json.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
      }
    }
  });
});

describe('no schema hints outside development', () => {
  it('hides "Did you mean" in validation and variable errors', async () => {
    const field = await adminPost(app, { query: '{ customr(id: "x") { id } }' });
    expect(field.status).toBe(400);
    expect(field.json.errors[0].message).toBe('Cannot query field "customr" on type "Query".');
    const enumValue = await adminPost(app, { query: 'query ($k: IdentifierKind!) { customerByIdentifier(kind: $k, value: "a") { id } }', variables: { k: 'EMAL' } });
    expect(enumValue.status).toBe(400);
    expect(enumValue.text).not.toMatch(/Did you mean/);
    const inputField = await adminPost(app, { query: 'mutation ($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { created } }', variables: { i: { emial: 'x@example.com' } } });
    expect(inputField.text).not.toMatch(/Did you mean/);
  });

  it('keeps them in development', async () => {
    const dev = await startTestApp({ NODE_ENV: 'development' });
    try {
      const res = await post(dev.url, { query: '{ customr(id: "x") { id } }' });
      expect(res.json.errors[0].message).toMatch(/Did you mean "customer"/);
    } finally {
      await dev.close();
    }
  });
});

describe('HTTP: batching off, CSRF prevention on, body limit, bad bodies as JSON', () => {
  it('refuses batched requests', async () => {
    const res = await adminPost(app, [{ query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(res.status).toBe(400);
    expect(res.json.errors[0]).toMatchObject({ message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST' } });
  });

  it('blocks simple (CSRF-able) requests: text/plain, form posts, GET without a preflight header', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await adminPost(app, JSON.stringify({ query: '{ __typename }' }), { 'content-type': type });
      expect(res.status).toBe(400);
      expect(res.json.errors[0].message).toMatch(/Cross-Site Request Forgery/);
    }
    const get = await read(await fetch(`${app.url}?query=${encodeURIComponent('{ __typename }')}`));
    expect(get.status).toBe(400);
    expect(get.json.errors[0].message).toMatch(/Cross-Site Request Forgery/);
    const preflighted = await read(await fetch(`${app.url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': '1' } }));
    expect(preflighted.status).toBe(200);
    // Never a mutation over GET.
    const mutation = await read(await fetch(`${app.url}?query=${encodeURIComponent('mutation { revokeApiKey(id: "x") { id } }')}`, { headers: { 'apollo-require-preflight': '1' } }));
    expect(mutation.status).toBe(405);
  });

  it('answers 413 with a GraphQL-shaped JSON error past BODY_LIMIT (default 1mb)', async () => {
    const atDefault = await adminPost(app, { query: '{ __typename }', extensions: { pad: 'x'.repeat(1024 * 1024) } });
    expect(atDefault.status).toBe(413);
    expect(atDefault.headers.get('content-type')).toMatch(/^application\/json/);
    expect(atDefault.json).toEqual({ errors: [{ message: 'the request body is larger than the limit of 1048576 bytes', extensions: { code: 'PAYLOAD_TOO_LARGE', maxBytes: 1048576 } }] });

    const configured = await adminPost(small, { query: '{ __typename }', extensions: { pad: 'x'.repeat(2100) } });
    expect(configured.status).toBe(413);
    expect(configured.json.errors[0].extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE', maxBytes: 2048 });
    expect((await adminPost(small, { query: '{ __typename }', extensions: { pad: 'x'.repeat(1500) } })).status).toBe(200);
  });

  it('counts the inflated size of a compressed body (a gzip bomb is 413, not a full memory)', async () => {
    const bomb = gzipSync(Buffer.from(JSON.stringify({ query: '{ __typename }', extensions: { pad: '0'.repeat(20 * 1024 * 1024) } })));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const res = await adminPost(app, new Uint8Array(bomb), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(res.json.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    const tiny = gzipSync(Buffer.from(JSON.stringify({ query: '{ __typename }' })));
    expect((await adminPost(app, new Uint8Array(tiny), { 'content-encoding': 'gzip' })).json.data).toEqual({ __typename: 'Query' });
  });

  it('answers malformed JSON, unsupported charsets and encodings with JSON errors, no stack trace', async () => {
    const cases: Array<[string | Uint8Array, Record<string, string>, number]> = [
      ['{"query":', {}, 400],
      ['5', {}, 400],
      ['{"query": "{ __typename }"', {}, 400],
      ['{"query":"{ __typename }"}', { 'content-type': 'application/json; charset=latin-9' }, 415],
      ['{"query":"{ __typename }"}', { 'content-encoding': 'bogus' }, 415],
      ['{"query":"{ __typename }"}', { 'content-encoding': 'gzip' }, 400],
      [new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), {}, 400],
    ];
    for (const [body, headers, status] of cases) {
      const res = await adminPost(app, body, headers);
      expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({ status, type: 'application/json; charset=utf-8' });
      expect(res.json.errors[0].extensions.code).toMatch(/^(BAD_REQUEST|UNSUPPORTED_MEDIA_TYPE)$/);
      expect(leaks(res.text)).toBeUndefined();
    }
  });
});

describe('JSON nesting of the body', () => {
  it('refuses variables nested deeper than 100 levels (a JSON scalar 10,000 deep used to overflow the stack: INTERNAL_SERVER_ERROR)', async () => {
    const customer = await makeCustomer(app);
    // Written by hand: JSON.stringify itself overflows on such values.
    const send = (depth: number) =>
      adminPost(
        app,
        `{"query":"mutation ($i: RecordInteractionInput!) { recordInteraction(input: $i) { duplicate } }",` +
          `"variables":{"i":{"customerId":"${customer.id}","channel":"WEB","type":"PAGE_VIEW","properties":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}}}`,
      );
    const deep = await send(10_000);
    expect(deep.status).toBe(400);
    expect(deep.json).toEqual({ errors: [{ message: 'the request body nests deeper than 100 levels', extensions: { code: 'BAD_REQUEST', maxDepth: 100 } }] });
    // The body is { variables: { i: { properties: { a: [ … ] } } } }: 4 levels before the array.
    // Within the body limit, the variables' own depth limit (40) answers before coercion…
    expect((await send(96)).json.errors?.[0].extensions).toEqual({ code: 'BAD_REQUEST', limit: 'variableDepth', max: 40 });
    expect((await send(97)).status).toBe(400);
    // … and within that, the service's JSON depth rule (32) for properties.
    expect((await send(34)).json.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'properties' });
  });
});

describe('configuration', () => {
  const base = { NODE_ENV: 'test', JWT_SECRET: 'x'.repeat(32) };
  it('has sane defaults, introspection off in production', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({ maxDepth: 15, maxAliases: 30, maxDirectives: 50, maxCost: 40_000, maxDuplicateFields: 100, maxRows: 20_000, maxResolvedFields: 100_000, maxTokens: 5_000, introspection: 'on', bodyLimitBytes: 1_048_576, rateLimitPerMinute: 0, dbStatementTimeoutMs: 15_000, requestTimeoutMs: 30_000, trustProxy: false });
    expect(loadConfig({ ...base, NODE_ENV: 'production', PSEUDONYM_KEYS: 'k'.repeat(32) })).toMatchObject({ introspection: 'off', rateLimitPerMinute: 600 });
    expect(loadConfig({ ...base, NODE_ENV: 'development' })).toMatchObject({ introspection: 'on', rateLimitPerMinute: 600 });
    expect(loadConfig({ ...base, BODY_LIMIT: '512kb', TRUST_PROXY: '1', INTROSPECTION: 'staff', REDIS_URL: 'redis://127.0.0.1:6379/2' }))
      .toMatchObject({ bodyLimitBytes: 524_288, trustProxy: 1, introspection: 'staff', redisUrl: 'redis://127.0.0.1:6379/2' });
  });

  it('refuses bad values with a clear message', () => {
    expect(() => loadConfig({ ...base, INTROSPECTION: 'maybe' })).toThrow(/INTROSPECTION must be one of on, off, staff/);
    expect(() => loadConfig({ ...base, BODY_LIMIT: 'lots' })).toThrow(/BODY_LIMIT/);
    expect(() => loadConfig({ ...base, MAX_DEPTH: '0' })).toThrow(/MAX_DEPTH/);
    expect(() => loadConfig({ ...base, RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
    expect(() => loadConfig({ ...base, REDIS_URL: 'http://x' })).toThrow(/REDIS_URL/);
    expect(() => loadConfig({ ...base, TRUST_PROXY: '$(rm)' })).toThrow(/TRUST_PROXY/);
  });
});
