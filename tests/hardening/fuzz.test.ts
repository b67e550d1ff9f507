import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import {
  Kind, buildSchema, getNullableType, isEnumType, isInputObjectType, isListType, isNonNullType, print, typeFromAST,
  type DocumentNode, type GraphQLInputType, type GraphQLSchema, type OperationDefinitionNode,
} from 'graphql';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { databaseDigest, makeCustomer, makeProduct } from '../helpers/fixtures';
import * as ops from '../generated/graphql';
import { customer360Query, playgroundExamples } from '../../src/playground/examples';
import { Role } from '../../src/auth/viewer';
import { LEAK_PATTERNS, rawHttp } from './helpers';

/**
 * Property-based fuzzing of the real server (fast-check, fixed seed, bounded runs): random and
 * malformed documents, bodies, variables, content types, methods and GET query strings, and typed
 * variables of every operation with one unstorable value planted (NUL, lone surrogates, year-0 dates,
 * 1e400), each sent anonymously and as an admin. Every answer must be < 500, never
 * INTERNAL_SERVER_ERROR, carry no stack trace, file path, SQL or driver text, and be JSON when it says
 * so; no rejected request may change a row. The run sends at least 10,000 requests.
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
async function send(init: { method?: string; search?: string; headers?: Record<string, string>; body?: string | Uint8Array }, who: Identity, requestText: string, retried = 0): Promise<Sent | undefined> {
  const started = Date.now();
  let res: Response;
  try {
    res = await fetch(app.url + (init.search ?? ''), {
      method: init.method ?? 'POST',
      headers: { ...authHeaders(who), ...init.headers },
      body: init.body as string | undefined,
    });
  } catch (e) {
    // Kept-alive sockets the server closed after its idle timeout (5 s), reused by undici: send again.
    const code = (e instanceof TypeError && (e.cause as { code?: string } | undefined)?.code) || '';
    if ((code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') && retried < 5) return send(init, who, requestText, retried + 1);
    // fetch refuses some inputs itself (invalid header values, a body on GET): nothing was sent.
    if (e instanceof TypeError && !e.cause) return undefined;
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
  if (text.includes('"INTERNAL_SERVER_ERROR"')) throw new Error(`INTERNAL_SERVER_ERROR for ${requestText.slice(0, 200)} … ${requestText.slice(-300)}: ${text.slice(0, 300)}`);
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
/** print(doc), once per operation: the typed properties send some 4,000 bodies of the same few dozen documents. */
const printed = new Map<DocumentNode, string>();
const printOf = (doc: DocumentNode): string => {
  let text = printed.get(doc);
  if (text === undefined) printed.set(doc, (text = print(doc)));
  return text;
};
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
          const res = await postGraphQL({ query: printOf(doc), variables }, who);
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

/** The served schema's SDL: the fuzzer builds typed variables from it. */
const schema: GraphQLSchema = buildSchema(fs.readFileSync(path.join(__dirname, '..', '..', 'schema.graphql'), 'utf8'));

/** Stands for a number JSON cannot carry (JSON.stringify writes null); swapped for 1e400 in the body text. */
const HUGE = '__fuzz_1e400__';
const NEG_HUGE = '__fuzz_-1e400__';
const rawJson = (body: unknown) => JSON.stringify(body).replace(new RegExp(`"${HUGE}"`, 'g'), '1e400').replace(new RegExp(`"${NEG_HUGE}"`, 'g'), '-1e400');

/** One leaf of a typed value that can be replaced by an unstorable one, and the field that holds it. */
interface Slot {
  field: string;
  scalar: string;
  set(v: unknown): void;
}

/** A valid-looking value of an input type (depth-bounded), for the operation's variables. */
function valueOf(type: GraphQLInputType, depth: number): fc.Arbitrary<unknown> {
  const t = getNullableType(type) as GraphQLInputType;
  const nullable = !isNonNullType(type);
  const wrap = (a: fc.Arbitrary<unknown>) => (nullable ? fc.option(a, { nil: null, freq: 6 }) : a);
  if (isListType(t)) return wrap(depth > 3 ? fc.constant([]) : fc.array(valueOf(t.ofType as GraphQLInputType, depth + 1), { maxLength: 2 }));
  if (isEnumType(t)) return wrap(fc.constantFrom(...t.getValues().map((v) => v.name)));
  if (isInputObjectType(t)) {
    if (depth > 3) return nullable ? fc.constant(null) : fc.constant({});
    const fields = Object.values(t.getFields());
    const model: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of fields) model[f.name] = valueOf(f.type, depth + 1);
    return wrap(fc.record(model, { requiredKeys: fields.filter((f) => isNonNullType(f.type)).map((f) => f.name) }));
  }
  const scalars: Record<string, fc.Arbitrary<unknown>> = {
    String: fc.oneof(fc.constantFrom('a', 'books', 'SKU-1', 'web', ''), fc.string({ maxLength: 12 })),
    ID: fc.constantFrom(customerId, 'Q3VzdG9tZXI6MQ==', 'x'),
    DateTime: fc.constantFrom('2026-01-01T00:00:00Z', '2001-02-03T04:05:06.789Z', '1999-12-31T23:59:59+02:00'),
    LocalDate: fc.constantFrom('2026-01-01', '1990-06-15'),
    Float: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    Int: fc.integer({ min: -3, max: 60 }),
    SafeInt: fc.integer({ min: -3, max: 100_000 }),
    NonNegativeInt: fc.integer({ min: 0, max: 100 }),
    PositiveInt: fc.integer({ min: 1, max: 100 }),
    Boolean: fc.boolean(),
    EmailAddress: fc.constantFrom('fuzz@example.com', 'a.b@example.org'),
    Currency: fc.constantFrom('EUR', 'USD', 'JPY'),
    JSONObject: fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  };
  return wrap(scalars[t.name] ?? fc.string({ maxLength: 8 }));
}

/** The scalar leaves of a generated value, with the field name the server must report for each. */
function slots(value: unknown, type: GraphQLInputType, field: string, set: (v: unknown) => void, out: Slot[] = []): Slot[] {
  if (value === null || value === undefined) return out;
  const t = getNullableType(type) as GraphQLInputType;
  if (isListType(t)) {
    (value as unknown[]).forEach((x, i) => slots(x, t.ofType as GraphQLInputType, field, (v) => ((value as unknown[])[i] = v), out));
  } else if (isInputObjectType(t)) {
    for (const [k, f] of Object.entries(t.getFields())) if (k in (value as object)) slots((value as Record<string, unknown>)[k], f.type, k, (v) => ((value as Record<string, unknown>)[k] = v), out);
  } else if (!isEnumType(t) && t.name !== 'Boolean') {
    out.push({ field, scalar: t.name, set });
  }
  return out;
}

/** Unstorable values per scalar: what issue #13's fuzzing found answered INTERNAL_SERVER_ERROR. */
const NUL_OR_SURROGATE = fc.tuple(fc.string({ maxLength: 6 }), fc.constantFrom('\u0000', '\ud800', '\udfff', '\udbff\u0000', 'x\ud800'), fc.string({ maxLength: 6 })).map(([a, b, c]) => a + b + c);
const BAD_DATE = fc.constantFrom('0000-01-01T00:00:00Z', '0000-12-31T23:59:59Z', '-000001-01-01T00:00:00Z', '+010000-01-01T00:00:00Z');
const BAD_LOCAL_DATE = fc.constantFrom('0000-01-01', '0000-02-29');
function poisonFor(scalar: string): fc.Arbitrary<unknown> {
  if (scalar === 'DateTime') return fc.oneof(BAD_DATE, NUL_OR_SURROGATE);
  if (scalar === 'LocalDate') return fc.oneof(BAD_LOCAL_DATE, NUL_OR_SURROGATE);
  if (['Float', 'Int', 'SafeInt', 'NonNegativeInt', 'PositiveInt'].includes(scalar)) return fc.constantFrom(HUGE, NEG_HUGE);
  if (scalar === 'JSONObject') return NUL_OR_SURROGATE.map((s) => ({ note: s, nested: { list: [s] } }));
  return NUL_OR_SURROGATE;
}

const typedOperations = operations
  .map((doc) => ({ doc, op: doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)! }))
  .filter(({ op }) => op.operation !== 'subscription');

/**
 * `build()` once per operation, for fc.chain: the typed properties used to build each operation's arbitraries
 * (valueOf) afresh for every one of some 4,000 samples, over a CPU-second. An arbitrary only describes values
 * (what it generates comes from the random stream it is handed), so the samples are the same.
 */
function perOperation<T>(): (op: OperationDefinitionNode, build: () => fc.Arbitrary<T>) => fc.Arbitrary<T> {
  const built = new Map<OperationDefinitionNode, fc.Arbitrary<T>>();
  return (op, build) => {
    let arb = built.get(op);
    if (!arb) built.set(op, (arb = build()));
    return arb;
  };
}

/** Literal forms of the same classes, in arguments of read operations. */
const literalPoison = fc.oneof(
  fc.constantFrom('1e400', '-1e400', '1e309').map((n) => ({ query: `{ customers(first: 1, filter: { value: { churnRiskAtLeast: ${n} } }) { totalCount } }`, field: 'churnRiskAtLeast' })),
  fc.constantFrom('\\u0000', 'a\\u0000b').map((s) => ({ query: `{ customers(first: 1, filter: { search: "${s}" }) { totalCount } }`, field: 'search' })),
  fc.constantFrom('0000-01-01T00:00:00Z', '0000-06-30T12:00:00Z').map((d) => ({ query: `{ customers(first: 1, filter: { createdAfter: "${d}" }) { totalCount } }`, field: 'createdAfter' })),
);

/**
 * expect({ status, error: first error's extensions }).toEqual({ status: 400, error: { code: 'BAD_USER_INPUT', field } }).
 * Thousands of answers are checked so; jest's expect() costs more than the rest of the check, so it is called
 * only when a plain comparison that passes exactly when toEqual would (a JSON object with these two keys and
 * values) does not, and then it decides and reports as before.
 */
function expectBadUserInput(res: Sent | undefined, field: string) {
  const error = res?.json?.errors?.[0]?.extensions;
  const exact = res?.status === 400 && !!error && typeof error === 'object' && !Array.isArray(error)
    && Object.keys(error).length === 2 && error.code === 'BAD_USER_INPUT' && error.field === field;
  if (!exact) expect({ status: res?.status, error }).toEqual({ status: 400, error: { code: 'BAD_USER_INPUT', field } });
}

describe('fuzzing unstorable values in every argument (issue #13)', () => {
  /** Sends `samples` in batches of CONCURRENCY: the server must answer each alone and together. */
  const CONCURRENCY = 12;
  async function inBatches<T>(samples: T[], fn: (x: T) => Promise<void>) {
    for (let i = 0; i < samples.length; i += CONCURRENCY) await Promise.all(samples.slice(i, i + CONCURRENCY).map(fn));
  }

  it('typed variables of every operation, one leaf unstorable: 400 BAD_USER_INPUT naming the field, nothing stored', async () => {
    const before = await databaseDigest(app);
    const once = perOperation<[{ doc: DocumentNode; op: OperationDefinitionNode }, Record<string, unknown>, number, number]>();
    const arb = fc.constantFrom(...typedOperations).chain(({ doc, op }) => once(op, () => {
      const defs = op.variableDefinitions ?? [];
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const d of defs) model[d.variable.name.value] = valueOf(typeFromAST(schema, d.type as never) as GraphQLInputType, 0);
      return fc.tuple(fc.constant({ doc, op }), fc.record(model), fc.nat(), fc.nat());
    }));
    const samples = fc.sample(arb, { seed: SEED, numRuns: 3_200 });
    let planted = 0;
    await inBatches(samples, async ([{ doc, op }, variables, pick, which]) => {
      const found: Slot[] = [];
      for (const d of op.variableDefinitions ?? []) {
        const name = d.variable.name.value;
        slots(variables[name], typeFromAST(schema, d.type as never) as GraphQLInputType, name, (v) => (variables[name] = v), found);
      }
      if (!found.length) return;
      const slot = found[pick % found.length];
      slot.set(fc.sample(poisonFor(slot.scalar), { seed: which, numRuns: 1 })[0]);
      planted++;
      const body = rawJson({ query: printOf(doc), variables });
      for (const who of IDENTITIES) {
        const res = await send({ headers: { 'content-type': 'application/json' }, body }, who, body);
        expectBadUserInput(res, slot.field);
      }
    });
    expect(planted).toBeGreaterThan(2_000);
    expect(await databaseDigest(app)).toBe(before);
  }, 300_000);

  it('typed variables of every operation, valid-looking and random, and literal forms', async () => {
    const once = perOperation<string>();
    const arb = fc.constantFrom(...typedOperations).chain(({ doc, op }) => once(op, () => {
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const d of op.variableDefinitions ?? []) model[d.variable.name.value] = valueOf(typeFromAST(schema, d.type as never) as GraphQLInputType, 0);
      return fc.record(model).map((variables) => rawJson({ query: printOf(doc), variables }));
    }));
    await inBatches(fc.sample(arb, { seed: SEED + 1, numRuns: 700 }), async (body) => {
      for (const who of IDENTITIES) await send({ headers: { 'content-type': 'application/json' }, body }, who, body);
    });
    await inBatches(fc.sample(literalPoison, { seed: SEED + 2, numRuns: 300 }), async ({ query, field }) => {
      for (const who of IDENTITIES) {
        const res = await postGraphQL({ query }, who);
        expectBadUserInput(res, field);
      }
    });
  }, 300_000);
});

it('the run sent at least 10,000 requests', () => {
  expect(stats.requests).toBeGreaterThanOrEqual(10_000);
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

