import { seedDemoData } from '../../src/cli/seed';
import { Role } from '../../src/auth/viewer';
import { parseMetrics, startObservedApp, valueOf, type ObservedApp } from './helpers';

/**
 * Request ids, access logs and Prometheus metrics, all through the real HTTP server (README
 * "Observability").
 */
let app: ObservedApp;
const PERSON = { email: 'zebulon.quixotic@example.org', firstName: 'Zebulon', lastName: 'Quixotic', phone: '+442079460999' };
let personId: string;

beforeAll(async () => {
  app = await startObservedApp();
  await seedDemoData(app.orm, { customers: 30, seed: 11 });
  const res = await app.post(`mutation($i: UpsertCustomerInput!) { upsertCustomer(input: $i) { customer { id } } }`, { variables: { i: PERSON } });
  expect(res.body.errors).toBeUndefined();
  personId = res.body.data.upsertCustomer.customer.id;
});
afterAll(async () => {
  await app?.close();
});

const scrape = async (headers: Record<string, string> = {}) => {
  const res = await fetch(`${app.base}/metrics`, { headers });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, samples: parseMetrics(text) };
};

/** The access-log lines (one per request) of this request id. */
const accessLines = (requestId: string) => app.logs.filter((l) => l.requestId === requestId && (l.msg === 'request completed' || l.msg === 'request aborted by the client'));

/**
 * The access log line and the request's metrics are written when the response closes, just after the
 * client has it: waits for the line of each response (by the X-Request-Id it answered), not for a time.
 */
async function settle(...responses: Array<{ headers: Headers }>): Promise<void> {
  const ids = responses.map((r) => r.headers.get('x-request-id')!);
  const until = Date.now() + 30_000;
  while (!ids.every((id) => accessLines(id).length > 0)) {
    if (Date.now() > until) throw new Error(`no access log line for ${ids.filter((id) => !accessLines(id).length).join(', ')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('request id', () => {
  it('echoes the X-Request-Id it was given, and the GraphQL context (audit log) uses the same id', async () => {
    const res = await app.post(`query ObsRead($id: ID!) { customer(id: $id) { email } }`, { variables: { id: personId }, headers: { 'X-Request-Id': 'obs-req-0001' } });
    expect(res.status).toBe(200);
    expect(res.body.data.customer.email).toBe(PERSON.email);
    expect(res.headers.get('x-request-id')).toBe('obs-req-0001');
    // The audit log records the context's requestId for this read of personal data.
    const rows = await app.orm.em.fork().getConnection().execute(`select request_id from audit_log where request_id = 'obs-req-0001'`);
    expect(rows.length).toBeGreaterThan(0);
    await settle(res);
    expect(accessLines('obs-req-0001')).toHaveLength(1);
  });

  it('generates an id when none is sent, and uses it in the header, the log and the context', async () => {
    const res = await app.post(`query ObsRead($id: ID!) { customer(id: $id) { email } }`, { variables: { id: personId } });
    const id = res.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const rows = await app.orm.em.fork().getConnection().execute(`select request_id from audit_log where request_id = ?`, [id]);
    expect(rows.length).toBeGreaterThan(0);
    await settle(res);
    expect(accessLines(id)).toHaveLength(1);
  });

  it('sanitises and bounds a client id (≤ 64 characters, letters, digits and . _ : = -)', async () => {
    const dirty = await app.post(`{ __typename }`, { headers: { 'X-Request-Id': 'abc def;<script>"x"/\\1' } });
    expect(dirty.headers.get('x-request-id')).toBe('abcdefscriptx1');
    const long = await app.post(`{ __typename }`, { headers: { 'X-Request-Id': 'A'.repeat(100) } });
    expect(long.headers.get('x-request-id')).toBe('A'.repeat(64));
    const nothingLeft = await app.post(`{ __typename }`, { headers: { 'X-Request-Id': '<<>>' } });
    expect(nothingLeft.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('is set on every route, not only /graphql', async () => {
    const health = await fetch(`${app.base}/healthz`, { headers: { 'X-Request-Id': 'obs-health-1' } });
    expect(health.headers.get('x-request-id')).toBe('obs-health-1');
    const missing = await fetch(`${app.base}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('access log', () => {
  it('logs each request once with method, path, status, duration, operation, role and request id; never tokens or personal data', async () => {
    const token = await app.token(Role.ADMIN);
    const res = await app.post(`query ObsLookup($kind: IdentityKind!, $v: String!) { customerByIdentifier(kind: $kind, value: $v) { firstName lastName email phone } }`, {
      variables: { kind: 'EMAIL', v: PERSON.email },
      token,
      headers: { 'X-Request-Id': 'obs-log-1' },
    });
    expect(res.body.data.customerByIdentifier.lastName).toBe(PERSON.lastName);
    const healthz = await fetch(`${app.base}/healthz?email=${encodeURIComponent(PERSON.email)}`, { headers: { 'X-Request-Id': 'obs-log-2' } });
    const bad = await app.post(`{ __typename }`, { token: 'not.a.jwt', headers: { 'X-Request-Id': 'obs-log-3' } });
    expect(bad.status).toBe(401);
    await settle(res, healthz, bad);

    const [line] = accessLines('obs-log-1');
    expect(accessLines('obs-log-1')).toHaveLength(1);
    expect(line).toMatchObject({ level: 30, method: 'POST', path: '/graphql', status: 200, operationName: 'ObsLookup', role: 'admin', service: 'rapport' });
    expect(typeof line.durationMs).toBe('number');
    expect(line.durationMs as number).toBeGreaterThan(0);
    expect(line.sqlStatements as number).toBeGreaterThan(0);

    const [health] = accessLines('obs-log-2');
    expect(health).toMatchObject({ method: 'GET', path: '/healthz', status: 200 });

    const [unauth] = accessLines('obs-log-3');
    expect(unauth).toMatchObject({ status: 401, path: '/graphql', errorCodes: ['UNAUTHENTICATED'] });

    const all = app.rawLogs.join('');
    for (const secret of [token, 'not.a.jwt', PERSON.email, PERSON.firstName, PERSON.lastName, PERSON.phone, 'example.org']) expect(all).not.toContain(secret);
  });

  it('logs errors with the request id of the request they happened in', async () => {
    // Break the database under the server: the next products query fails inside a resolver.
    await app.orm.em.fork().getConnection().execute('alter table products rename to products_hidden');
    let res!: Awaited<ReturnType<typeof app.post>>;
    try {
      res = await app.post(`query ObsBroken { products(first: 1) { nodes { sku } } }`, { headers: { 'X-Request-Id': 'obs-err-1' } });
    } finally {
      await app.orm.em.fork().getConnection().execute('alter table products_hidden rename to products');
    }
    expect(res.body.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    await settle(res);
    const errors = app.logs.filter((l) => l.level >= 50 && l.msg !== 'request completed');
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((l) => l.requestId === 'obs-err-1')).toBe(true);
    expect(accessLines('obs-err-1')[0]).toMatchObject({ status: 200, operationName: 'ObsBroken', errorCodes: ['INTERNAL_SERVER_ERROR'] });
  });
});

describe('GET /metrics', () => {
  it('counts requests, durations and SQL statements per operation as requests are made', async () => {
    const before = (await scrape()).samples;
    const q = `query ObsList { customers(first: 5) { nodes { id orders(first: 2) { nodes { id lines { product { sku } } } } } } }`;
    const statements: number[] = [];
    const sent: Array<{ headers: Headers }> = [];
    for (let i = 0; i < 3; i++) {
      const res = await app.post(q);
      expect(res.body.errors).toBeUndefined();
      statements.push(res.body.extensions.sqlStatements);
      sent.push(res);
    }
    sent.push(await fetch(`${app.base}/healthz`));
    await settle(...sent);
    const after = (await scrape()).samples;
    const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);

    expect(delta('http_requests_total', { method: 'POST', route: '/graphql', status: '200' })).toBe(3);
    expect(delta('http_requests_total', { method: 'GET', route: '/healthz', status: '200' })).toBe(1);
    expect(valueOf(after, 'graphql_request_duration_seconds_count', { operation: 'ObsList' })).toBe(3);
    expect(valueOf(after, 'graphql_request_duration_seconds_sum', { operation: 'ObsList' })).toBeGreaterThan(0);
    expect(valueOf(after, 'graphql_request_duration_seconds_bucket', { operation: 'ObsList', le: '+Inf' })).toBe(3);
    expect(valueOf(after, 'graphql_sql_statements_count', { operation: 'ObsList' })).toBe(3);
    // The histogram holds exactly what the responses reported.
    expect(valueOf(after, 'graphql_sql_statements_sum', { operation: 'ObsList' })).toBe(statements.reduce((a, b) => a + b, 0));
  });

  it('counts errors by extensions.code, including those answered before execution', async () => {
    const before = (await scrape()).samples;
    // FORBIDDEN: an analyst may not read names.
    const forbidden = await app.post(`query ObsAnalyst($id: ID!) { customer(id: $id) { id firstName } }`, { variables: { id: personId }, role: Role.ANALYST });
    expect(forbidden.body.errors[0].extensions.code).toBe('FORBIDDEN');
    // UNAUTHENTICATED, HTTP 401, from the context function.
    const unauthenticated = await app.post(`{ __typename }`, { token: 'bad' });
    expect(unauthenticated.status).toBe(401);
    // Parse and validation failures.
    const unparsed = await app.post(`{ customers(`);
    expect(unparsed.body.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    const invalid = await app.post(`{ noSuchField }`);
    expect(invalid.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    // Answered by the HTTP intake, outside Apollo: not JSON.
    const badJson = await fetch(`${app.base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":' });
    expect(badJson.status).toBe(400);
    await settle(forbidden, unauthenticated, unparsed, invalid, badJson);
    const after = (await scrape()).samples;
    const delta = (code: string) => valueOf(after, 'graphql_errors_total', { code }) - valueOf(before, 'graphql_errors_total', { code });
    expect(delta('FORBIDDEN')).toBe(1);
    expect(delta('UNAUTHENTICATED')).toBe(1);
    expect(delta('GRAPHQL_PARSE_FAILED')).toBe(1);
    expect(delta('GRAPHQL_VALIDATION_FAILED')).toBe(1);
    expect(delta('BAD_REQUEST')).toBe(1);
    expect(valueOf(after, 'http_requests_total', { method: 'POST', route: '/graphql', status: '401' }) - valueOf(before, 'http_requests_total', { method: 'POST', route: '/graphql', status: '401' })).toBe(1);
  });

  it('bounds label values: unnamed operations are "anonymous", odd names and unknown paths "other"', async () => {
    const anonymous = await app.post(`{ customers(first: 1) { nodes { id } } }`);
    const longName = `Op${'x'.repeat(70)}`;
    const long = await app.post(`query ${longName} { customers(first: 1) { nodes { id } } }`);
    const unknownPath = await fetch(`${app.base}/customers/${encodeURIComponent(PERSON.email)}`);
    await settle(anonymous, long, unknownPath);
    const { samples } = await scrape();
    expect(valueOf(samples, 'graphql_request_duration_seconds_count', { operation: 'anonymous' })).toBeGreaterThan(0);
    expect(valueOf(samples, 'graphql_request_duration_seconds_count', { operation: 'other' })).toBeGreaterThanOrEqual(1);
    expect(samples.some((s) => s.labels.operation === longName)).toBe(false);
    expect(valueOf(samples, 'http_requests_total', { method: 'GET', route: 'other', status: '404' })).toBeGreaterThanOrEqual(1);
    for (const s of samples) {
      if (s.labels.operation) expect(s.labels.operation).toMatch(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/);
      if (s.labels.route) expect(['/graphql', '/metrics', '/healthz', '/readyz', '/', '/playground/assets', 'other']).toContain(s.labels.route);
      if (s.labels.code) expect(s.labels.code).toMatch(/^[A-Z][A-Z0-9_]*$/);
    }
  });

  it('reports the database pool and the default process metrics', async () => {
    const { samples } = await scrape();
    expect(valueOf(samples, 'db_pool_connections_max')).toBe(5);
    const used = valueOf(samples, 'db_pool_connections_used');
    const free = valueOf(samples, 'db_pool_connections_free');
    expect(used + free).toBeGreaterThan(0);
    expect(used + free).toBeLessThanOrEqual(5);
    expect(valueOf(samples, 'db_pool_pending_acquires')).toBe(0);
    expect(valueOf(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
  });

  it('counts a connection held out of the request pool as used, and as free again once returned', async () => {
    const used = async () => valueOf((await scrape()).samples, 'db_pool_connections_used');
    const trx = await app.orm.em.getConnection().getKnex().transaction();
    let held: number;
    try {
      await trx.raw('select 1');
      held = await used();
    } finally {
      await trx.rollback();
    }
    expect(held).toBeGreaterThanOrEqual(1);
    expect(await used()).toBe(held - 1);
  });

  it('holds no personal data, tokens or request ids, whatever the requests carried', async () => {
    const token = await app.token(Role.SUPPORT, 'support.person@example.net');
    const posted = await app.post(`query ObsLookup($v: String!) { customerByIdentifier(kind: EMAIL, value: $v) { firstName lastName email phone } }`, {
      variables: { v: PERSON.email },
      token,
      headers: { 'X-Request-Id': 'obs-secret-request-id' },
      operationName: 'ObsLookup',
    });
    const viaGet = await fetch(`${app.base}/graphql?query=${encodeURIComponent(`{ customerByIdentifier(kind: EMAIL, value: "${PERSON.email}") { email } }`)}`, { headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } });
    await settle(posted, viaGet);
    const { text, samples } = await scrape();
    const emails = (await app.orm.em.fork().getConnection().execute(`select email, last_name from customers where email is not null`)) as Array<{ email: string; last_name: string | null }>;
    expect(emails.length).toBeGreaterThan(30);
    for (const c of emails) expect(text).not.toContain(c.email);
    for (const secret of [token, 'obs-secret-request-id', PERSON.phone, PERSON.lastName, personId, 'support.person', '@']) expect(text).not.toContain(secret);
    // Only the label names this server (and prom-client's process metrics) define.
    const labelNames = new Set(samples.flatMap((s) => Object.keys(s.labels)));
    for (const l of labelNames) expect(['method', 'route', 'status', 'operation', 'code', 'le', 'version', 'major', 'minor', 'patch', 'kind', 'type', 'space', 'quantile', 'path']).toContain(l);
    // `path` is the ingestion core's adapter (the upsertCustomer above went through it), from a fixed list.
    const paths = new Set(samples.filter((s) => s.name.startsWith('ingest_')).map((s) => s.labels.path));
    expect(paths.size).toBeGreaterThan(0);
    for (const p of paths) expect(['mutation', 'ingestEvents', 'tracking', 'import', 'other']).toContain(p);
  });
});
