import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { Kind, print, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { databaseDigest, makeCustomer, makeProduct } from '../helpers/fixtures';
import * as ops from '../generated/graphql';
import { customer360Query, playgroundExamples } from '../../src/playground/examples';
import { Role } from '../../src/auth/viewer';
import { LEAK_PATTERNS, rawHttp } from './helpers';

/**
 * Property-based fuzzing of the real server (fast-check, fixed seed, bounded runs): random and
 * malformed documents, bodies, variables, content types, methods and GET query strings, each sent
 * anonymously and as an admin. Every answer must be < 500, carry no stack trace, file path, SQL or
 * driver text, and be JSON when it says so; no rejected request may change a row.
 */
const SEED = 20261125;
let app: TestApp;
let port: number;
let adminToken: string;
let customerId: string;
const stats = { requests: 0, byStatus: {} as Record<number, number>, ms: 0, acceptedMutations: 0 };

beforeAll(async () => {
  app = await startTestApp();
  port = Number(new URL(app.url).port);
  adminToken = await app.tokenFor(Role.ADMIN);
  customerId = (await makeCustomer(app)).id;
  await makeCustomer(app);
  await makeProduct(app);
});
afterAll(async () => {
  fs.mkdirSync(path.join(__dirname, '..', '..', 'test-results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, '..', '..', 'test-results', 'fuzz-stats.json'), JSON.stringify(stats, null, 2));
  await app?.close();
});

type Identity = 'anonymous' | 'admin';
const IDENTITIES: Identity[] = ['anonymous', 'admin'];
const authHeaders = (who: Identity): Record<string, string> => (who === 'admin' ? { authorization: `Bearer ${adminToken}` } : {});

/** A leak is a pattern in the answer that the request itself did not contain (errors may echo input). */
function leakIn(answer: string, request: string): RegExp | undefined {
  return LEAK_PATTERNS.find((re) => re.test(answer) && !re.test(request));
}

function record(status: number, ms: number) {
  stats.requests++;
  stats.ms += ms;
  stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
}

interface Sent {
  status: number;
  text: string;
  json?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Sends with fetch and checks the answer; returns it for further checks. */
async function send(init: { method?: string; search?: string; headers?: Record<string, string>; body?: string | Uint8Array }, who: Identity, requestText: string): Promise<Sent | undefined> {
  const started = Date.now();
  let res: Response;
  try {
    res = await fetch(app.url + (init.search ?? ''), {
      method: init.method ?? 'POST',
      headers: { ...authHeaders(who), ...init.headers },
      body: init.body as string | undefined,
    });
  } catch (e) {
    // fetch refuses some inputs itself (invalid header values, a body on GET): nothing was sent.
    if (e instanceof TypeError) return undefined;
    throw e;
  }
  const text = await res.text();
  record(res.status, Date.now() - started);
  expectSound(res.status, res.headers.get('content-type'), text, requestText);
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

function expectSound(status: number, contentType: string | null, text: string, requestText: string) {
  if (status >= 500 || status < 100) throw new Error(`HTTP ${status} for ${requestText.slice(0, 300)}: ${text.slice(0, 300)}`);
  const leak = leakIn(text, requestText);
  if (leak) throw new Error(`answer matches ${leak} for ${requestText.slice(0, 300)}: ${text.slice(0, 500)}`);
  if (contentType?.includes('json') && text.length) {
    try {
      JSON.parse(text);
    } catch {
      throw new Error(`content-type ${contentType} but not JSON: ${text.slice(0, 300)}`);
    }
  }
}

function postGraphQL(body: unknown, who: Identity, headers: Record<string, string> = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return send({ headers: { 'content-type': 'application/json', ...headers }, body: raw }, who, raw);
}

/** Runs a property with the fixed seed, each sample anonymously and as an admin, checking that no row changed. */
async function property<T>(name: string, arb: fc.Arbitrary<T>, numRuns: number, body: (x: T, who: Identity) => Promise<void>) {
  const before = await databaseDigest(app);
  const seed = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, SEED);
  await fc.assert(
    fc.asyncProperty(arb, async (x) => {
      for (const who of IDENTITIES) await body(x, who);
    }),
    { seed, numRuns, endOnFailure: true },
  );
  expect(await databaseDigest(app)).toBe(before);
}

const operations: DocumentNode[] = Object.values(ops).filter((v): v is DocumentNode => !!v && typeof v === 'object' && (v as DocumentNode).kind === Kind.DOCUMENT);
const VALID_DOCS = [...operations.map((d) => print(d)), customer360Query, ...playgroundExamples.map((e) => e.query), '{ __typename }', '{ __schema { types { name fields { name } } } }'];
/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));
const wild = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: codeUnit, maxLength: 200 }), fc.string({ unit: 'grapheme-ascii', maxLength: 300 }));
const graphqlish = fc
  .array(fc.constantFrom('{', '}', '(', ')', '[', ']', ':', '$', '@', '...', '!', '=', '"', '"""', '#', ',', 'query', 'mutation', 'fragment', 'on', 'customer', 'customers', 'node', 'id', 'first', 'nodes', '__typename', '__schema', 'orders', ' ', '\n', '1', '-1', '1e999', 'true', 'null', '\\u0000'), { maxLength: 120 })
  .map((t) => t.join(' '));

describe('fuzzing the real server', () => {
  it('random and graphql-like strings as the query', async () => {
    await property('random-query', fc.oneof(wild, graphqlish), 150, async (query, who) => {
      await postGraphQL({ query }, who);
    });
  });

  it('truncated and corrupted valid operations', async () => {
    const arb = fc.tuple(fc.constantFrom(...VALID_DOCS), fc.nat(), fc.option(codeUnit, { nil: undefined }));
    await property('truncated', arb, 150, async ([doc, cut, insert], who) => {
      const at = cut % Math.max(1, doc.length);
      const query = insert === undefined ? doc.slice(0, at) : doc.slice(0, at) + insert + doc.slice(at + 1);
      const res = await postGraphQL({ query, variables: { id: customerId, first: 2, input: {} } }, who);
      // A JSON body always reaches the server, and every answer is a GraphQL response (send checks the rest).
      expect(Array.isArray(res?.json?.errors) || res?.json?.data != null).toBe(true);
    });
  });

  it('deeply nested selections and huge numbers of aliases', async () => {
    const deep = fc.tuple(fc.integer({ min: 1, max: 2_600 }), fc.constantFrom('a', 'customers', 'nodes', '')).map(([n, name]) => `{${` ${name} {`.repeat(n)} id${' }'.repeat(n)} }`);
    const valid = fc.integer({ min: 1, max: 60 }).map((n) => `{ node(id: "${customerId}") { ... on Customer { ${'orders { nodes { customer { '.repeat(n)}id${' } } }'.repeat(n)} } } }`);
    const aliases = fc.integer({ min: 1, max: 2_500 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`);
    const directives = fc.integer({ min: 1, max: 2_000 }).map((n) => `{ __typename ${'@include(if: true) '.repeat(n)}}`);
    const deepVariables = fc
      .tuple(fc.integer({ min: 1, max: 50_000 }), fc.constantFrom(['{"x":', '}'], ['[', ']']))
      .map(([n, [open, close]]) => `{"query":"query ($f: CustomerFilter) { customers(first: 1, filter: $f) { totalCount } }","variables":{"f":${open.repeat(n)}1${close.repeat(n)}}}`);
    const costly = fc.integer({ min: 1, max: 1_000_000 }).map((n) => `{ customers(first: ${n}) { nodes { orders(first: ${n}) { nodes { id } } } } }`);
    await property('nested', fc.oneof(deep, valid, aliases, directives, costly, deepVariables), 90, async (query, who) => {
      const res = await postGraphQL(query.startsWith('{"query"') ? query : { query }, who);
      // A JSON body always reaches the server, and every answer is a GraphQL response (send checks the rest).
      expect(Array.isArray(res?.json?.errors) || res?.json?.data != null).toBe(true);
    });
  });

  it('variables of wrong types for every typed operation (rejected writes change nothing)', async () => {
    const value = fc.oneof(fc.jsonValue(), fc.string({ unit: codeUnit, maxLength: 50 }), fc.constantFrom(customerId, 'Q3VzdG9tZXI6MQ==', '', -1, 1e308, 2 ** 31, '2026-13-45T99:99:99Z'));
    const arb = fc.tuple(fc.constantFrom(...operations), fc.oneof({ weight: 4, arbitrary: fc.dictionary(fc.constantFrom('id', 'first', 'after', 'input', 'filter', 'kind', 'value', 'orders', 'x'), value) }, { weight: 1, arbitrary: fc.jsonValue() }));
    let baseline = await databaseDigest(app);
    await fc.assert(
      fc.asyncProperty(arb, async ([doc, variables]) => {
        const op = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
        for (const who of IDENTITIES) {
          const res = await postGraphQL({ query: print(doc), variables }, who);
          if (op.operation !== 'mutation') continue;
          // Checked after every mutation: one the server accepted moves the baseline, any other must not.
          const after = await databaseDigest(app);
          const field = (op.selectionSet.selections[0] as { name: { value: string } }).name.value;
          const accepted = res?.json?.data?.[field] != null;
          if (accepted) stats.acceptedMutations++;
          else expect(after).toBe(baseline);
          baseline = after;
        }
      }),
      { seed: SEED, numRuns: 200, endOnFailure: true },
    );
  });

  it('random JSON bodies and invalid UTF-8 bytes', async () => {
    const json = fc.jsonValue({ maxDepth: 4 }).map((v) => ({ body: JSON.stringify(v) ?? 'null' }));
    const shaped = fc
      .record({ query: fc.oneof(fc.jsonValue(), fc.constantFrom(...VALID_DOCS)), variables: fc.jsonValue(), operationName: fc.jsonValue(), extensions: fc.jsonValue() }, { requiredKeys: [] })
      .map((v) => ({ body: JSON.stringify(v) }));
    const bytes = fc.uint8Array({ maxLength: 300 }).map((b) => ({ body: Buffer.from(b).toString('latin1'), raw: b }));
    // Valid JSON around invalid UTF-8: the bytes sit inside the query string.
    const inString = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => {
      const raw = Buffer.concat([Buffer.from('{"query":"{ __typename } #'), Buffer.from(b.filter((x) => x !== 0x22 && x !== 0x5c && x >= 0x20)), Buffer.from('"}')]);
      return { body: raw.toString('latin1'), raw: new Uint8Array(raw) };
    });
    await property('bodies', fc.oneof(json, shaped, bytes, inString), 150, async (c, who) => {
      const raw = 'raw' in c ? c.raw : c.body;
      await send({ headers: { 'content-type': 'application/json' }, body: raw }, who, c.body);
    });
  });

  it('wrong content types and HTTP methods', async () => {
    const type = fc.oneof(
      fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'multipart/form-data; boundary=--x', 'application/graphql', 'application/graphql-response+json', 'application/json; charset=utf-16', 'application/json; charset=iso-8859-1', 'application/json; charset=bogus', 'application/xml', '*/*', ''),
      fc.string({ unit: 'grapheme-ascii', maxLength: 60 }),
    );
    const method = fc.constantFrom('POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS');
    const body = fc.oneof(fc.constantFrom(...VALID_DOCS).map((q) => JSON.stringify({ query: q })), fc.constantFrom(...VALID_DOCS), wild);
    const accept = fc.constantFrom(undefined, 'application/json', 'application/graphql-response+json', 'text/html', '*/*', 'application/xml');
    await property('content-types', fc.tuple(type, method, body, accept), 120, async ([t, m, b, a], who) => {
      const headers: Record<string, string> = { 'content-type': t };
      if (a) headers.accept = a;
      await send({ method: m, headers, body: b }, who, `${m} ${t} ${b}`);
    });
  });

  it('GET with odd query strings (raw bytes on the wire)', async () => {
    const piece = fc.oneof(
      fc.constantFrom('query=', 'query', 'variables=', 'operationName=', 'extensions=', '&', '=', '%', '%E0%A4%A', '%FF', '%00', '%7B', '%7D', '+', '?', '#', '[]', 'query[]=', '%7B__typename%7D', '{__typename}', 'mutation%7Bx%7D', '%22', 'null', '[1]', '__proto__=1'),
      fc.string({ unit: 'grapheme-ascii', maxLength: 20 }),
      fc.constantFrom(...VALID_DOCS).map(encodeURIComponent),
    );
    // Mostly a real operation followed by odd parameters, sometimes pure noise.
    const pieces = fc.oneof(
      fc.tuple(fc.constantFrom(...VALID_DOCS), fc.array(piece, { maxLength: 8 })).map(([doc, rest]) => [`query=${encodeURIComponent(doc)}&`, ...rest]),
      fc.array(piece, { maxLength: 12 }),
    );
    const arb = fc.tuple(pieces, fc.boolean(), fc.constantFrom('GET', 'GET', 'GET', 'HEAD'));
    await property('get', arb, 150, async ([parts, preflight, method], who) => {
      // Only bytes an HTTP request line can carry at all; the rest fetch or the socket would refuse.
      const qs = parts.join('').replace(/[\s\x00-\x1f\x7f]/g, '');
      const headers = [`Host: 127.0.0.1:${port}`, 'Connection: close', ...(preflight ? ['apollo-require-preflight: 1'] : []), ...(who === 'admin' ? [`Authorization: Bearer ${adminToken}`] : [])];
      const started = Date.now();
      const res = await rawHttp(port, `${method} /graphql?${qs} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
      record(res.status, Date.now() - started);
      const body = res.text.slice(res.text.indexOf('\r\n\r\n') + 4);
      expectSound(res.status, /content-type: ([^\r\n]+)/i.exec(res.text)?.[1] ?? null, /transfer-encoding: chunked/i.test(res.text) ? '' : body, decodeURIComponentSafe(qs));
      if (/transfer-encoding: chunked/i.test(res.text)) expect(leakIn(res.text, decodeURIComponentSafe(qs))).toBeUndefined();
    });
  });
});

it('the leak detector catches what Express answered before (an HTML page with a stack trace)', () => {
  const before = '<!DOCTYPE html><html lang="en"><body><pre>SyntaxError: Unexpected end of JSON input<br> &nbsp; &nbsp;at JSON.parse (&lt;anonymous&gt;)<br> &nbsp; &nbsp;at parse (/srv/app/node_modules/body-parser/lib/types/json.js:93:21)</pre></body></html>';
  expect(before).toMatch(leakIn(before, '{"query":') ?? /no leak pattern matched/);
  const sqlError = '{"errors":[{"message":"relation \\"customers\\" does not exist"}]}';
  expect(sqlError).toMatch(leakIn(sqlError, '{}') ?? /no leak pattern matched/);
  expect(leakIn('{"errors":[{"message":"Syntax Error: Unexpected Name \\"select\\"."}]}', 'select x from y')).toBeUndefined();
});

it('an oversized request line or header is refused by Node (431), not answered 5xx', async () => {
  for (const target of [`/graphql?query=${'x'.repeat(20_000)}`, '/graphql']) {
    const extra = target === '/graphql' ? `X-Pad: ${'y'.repeat(20_000)}\r\n` : '';
    const res = await rawHttp(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`);
    record(res.status, 0);
    expect(res.status).toBe(431);
  }
});

function decodeURIComponentSafe(s: string): string {
  try {
    return `${s} ${decodeURIComponent(s.replace(/\+/g, ' '))}`;
  } catch {
    return s;
  }
}

