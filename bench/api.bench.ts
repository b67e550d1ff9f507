import './production-env';
import 'reflect-metadata';
import { adminQuery, withDatabase } from '../src/db/pg-admin';
import http from 'node:http';
import os from 'node:os';
import { fork } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import { Session } from 'node:inspector/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Pool } from 'pg';
import { getNamedType, isObjectType, type GraphQLObjectType } from 'graphql';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { initOrm, migrate } from '../src/db/orm';
import { seedDemoData } from '../src/cli/seed';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { createServer, type RapportServer } from '../src/server';
import { signToken } from '../src/auth/jwt';
import { Role } from '../src/auth/viewer';
import { profilingObjectionSql } from '../src/auth/policy';
import { buildAppSchema } from '../src/schema/build-schema';
import { backendCpu, backendCpuSince } from './pg-backend-cpu';

/**
 * npm run bench:api — the API's throughput and latency next to hand-written SQL for the same data.
 *
 * In a scratch database on BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres):
 * migrates, seeds BENCH_CUSTOMERS demo customers (default 2,000) and tops one customer up to ≥ 25
 * orders with lines and ≥ 60 interactions (set-based SQL), then starts in this process
 *   - the real Rapport server (createServer, production config, admin JWT), and
 *   - a plain node:http server whose handlers answer the same two reads with one hand-written
 *     statement each (json_agg + correlated subqueries / LATERAL) through `pg`, same JSON shape,
 * both on 127.0.0.1 with random ports and pools of the same size, checks that both return the same
 * data, and drives each with autocannon (run in a child process, so that the load generator neither
 * shares the server's event loop nor counts in its RSS): BENCH_CONNECTIONS connections (default 20)
 * for BENCH_DURATION seconds (default 10) per case, after a 2 s warm-up.
 *
 * Cases: (a) the customer-360 view of one customer (profile, identities, orders(first: 20) with lines
 * and products, interactions(first: 50), feedback, consents current and history, and `value` when
 * the schema has it); (b) customers(first: 100) with orders(first: 3) { total lines { product { sku } } }.
 * Prints req/s, p50, p99, the GraphQL/raw throughput ratio (target ≥ 0.5), SQL statements per
 * GraphQL request at list sizes 10 and 100, the server process's peak RSS per run, and CPU per
 * request of the server process AND of the PostgreSQL backends of the scratch database (from
 * /proc/<pid>/stat, as bench:ingest does), so that the two sides compare by total CPU per request
 * even when the machine is shared (the load average is printed with each run). Drops the
 * scratch database at the end (also on Ctrl-C). Not part of the tests.
 */
const ADMIN = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CUSTOMERS = Number(process.env.BENCH_CUSTOMERS ?? 2000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP_S = 2;
const POOL_MAX = 10;
/**
 * BENCH_REUSE_DATABASE=<name>: measure on a database an earlier setup seeded (e.g. `node
 * dist/bench/api.bench.js --setup-child <url>` run once), without seeding it again or dropping it at
 * the end; for A/B pairs of builds on the same data. BENCH_CASES=a or b: only that case.
 */
const REUSE = process.env.BENCH_REUSE_DATABASE;
const CASES = (process.env.BENCH_CASES ?? 'a,b').split(',').map((c) => c.trim());
const DB = REUSE ?? `rapport_bench_api_${process.pid}`;
const JWT_SECRET = 'bench-secret-that-is-at-least-32-characters-long';

/**
 * BENCH_CPU_PROFILE=<dir>: a V8 CPU profile of this process (the server under test) over each
 * GraphQL run (warm-up included), written as <dir>/<case>-planner-<mode>.cpuprofile (open it in Chrome
 * DevTools). Only the GraphQL runs, so the raw server's work is not mixed in; profiling slows the server.
 */
async function startProfile(): Promise<{ stop(name: string): Promise<void> } | undefined> {
  const dir = process.env.BENCH_CPU_PROFILE;
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(name: string) {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `${name}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Load generator (child process): runs autocannon for the parent and reports the summary back.
// ---------------------------------------------------------------------------------------------

interface LoadRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  duration: number;
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

async function loadChild(): Promise<void> {
  const { default: autocannon } = await import('autocannon');
  process.once('message', async (msg: LoadRequest) => {
    const r = await autocannon({
      url: msg.url,
      method: msg.method,
      headers: msg.headers,
      body: msg.body,
      connections: msg.connections,
      duration: msg.duration,
      timeout: 30,
    });
    const out: LoadResult = { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts };
    process.send!(out, () => process.exit(0));
  });
}

/** Runs this file in a child process with `args`, sends it `message`, resolves with what it reports. */
function runChild<T>(args: string[], message: unknown, timeoutS: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    let answered = false;
    child.once('message', (m) => {
      answered = true;
      clearTimeout(killer);
      resolve(m as T);
    });
    child.once('exit', (code) => {
      clearTimeout(killer);
      if (!answered) reject(new Error(`child ${args[0]} exited with ${code} before reporting`));
    });
    if (message !== undefined) child.send(message as object);
  });
}

function runLoad(req: LoadRequest): Promise<LoadResult> {
  return runChild<LoadResult>(['--load-child'], req, req.duration + 60);
}

// ---------------------------------------------------------------------------------------------
// Database
// ---------------------------------------------------------------------------------------------

const admin = (sql: string) => adminQuery(ADMIN, sql);

const dbUrl = (db: string) => withDatabase(ADMIN, db);

/** One customer with a long history: ≥ 25 orders with 1–3 lines each, ≥ 60 interactions (deterministic ids). */
async function topUpHeavyCustomer(c: Client): Promise<string> {
  const { rows: [heavy] } = await c.query<{ id: string }>(`select customer_id as id from orders group by customer_id order by count(*) desc, customer_id limit 1`);
  const id = heavy.id;
  await c.query(
    `insert into orders (id, customer_id, external_id, source, placed_at, channel, status, currency, subtotal_minor, discount_minor, total_minor, created_at)
     select md5('bench-order-' || g)::uuid, $1, 'BENCH-' || g, 'shop', now() - g * interval '5 days', 'web', 'delivered', 'EUR', 0, 0, 0, now() - g * interval '5 days'
     from generate_series(1, greatest(0, 25 - (select count(*) from orders where customer_id = $1))) g`,
    [id],
  );
  await c.query(
    `insert into order_lines (id, order_id, position, customer_id, product_id, quantity, unit_price_minor, line_total_minor, currency)
     select md5('bench-line-' || o.id || '-' || n)::uuid, o.id, n, o.customer_id, p.id, 1, p.price_minor, p.price_minor, 'EUR'
     from orders o
     cross join lateral generate_series(1, 1 + abs(hashtext(o.id::text)) % 3) n
     cross join lateral (select id, price_minor from products order by sku offset abs(hashtext(o.id::text || n)) % 200 limit 1) p
     where o.customer_id = $1 and o.external_id like 'BENCH-%'`,
    [id],
  );
  await c.query(
    `update orders o set subtotal_minor = s.v, total_minor = s.v
     from (select order_id, sum(line_total_minor) as v from order_lines group by order_id) s
     where s.order_id = o.id and o.customer_id = $1 and o.external_id like 'BENCH-%'`,
    [id],
  );
  await c.query(
    `insert into interactions (id, customer_id, occurred_at, channel, type, product_id, campaign, properties, source, source_event_id, created_at)
     select md5('bench-interaction-' || g)::uuid, $1, now() - g * interval '7 hours', 'web', 'page_view', null, null, '{}'::jsonb, 'bench', 'bench-' || g, now() - g * interval '7 hours'
     from generate_series(1, greatest(0, 60 - (select count(*) from interactions where customer_id = $1))) g`,
    [id],
  );
  return id;
}

// ---------------------------------------------------------------------------------------------
// The two reads, as GraphQL and as hand-written SQL returning the same JSON
// ---------------------------------------------------------------------------------------------

const VALUE_FIELDS = ['rfm', 'rfmSegment', 'pAlive', 'predictedPurchases12m', 'clv12m', 'churnRisk', 'valueTier', 'lifecycleStage', 'computedAt'];

function customer360Graphql(withValue: boolean): string {
  return `query BenchCustomer360($id: ID!, $orders: Int!, $interactions: Int!) {
  customer(id: $id) {
    id firstName lastName email phone locale status createdAt
    identities { kind namespace value }
    orders(first: $orders) {
      totalCount
      nodes {
        id placedAt channel status
        total { amountMinor currency amount }
        lines { position quantity unitPrice { amountMinor currency amount } lineTotal { amountMinor currency amount } product { id sku name category } }
      }
    }
    interactions(first: $interactions) { totalCount nodes { id occurredAt channel type campaign product { sku } } }
    feedback(first: 10) { totalCount nodes { id kind score topic text status submittedAt } }
    consents {
      current { purpose channel status recordedAt }
      history(first: 20) { totalCount nodes { purpose channel status recordedAt } }
    }${withValue ? `
    value { rfm { recency frequency monetary } rfmSegment pAlive predictedPurchases12m clv12m { amountMinor currency amount } churnRisk valueTier lifecycleStage computedAt }` : ''}
  }
}`;
}

const LIST_GRAPHQL = `query BenchCustomerList($first: Int!) {
  customers(first: $first) { nodes { id orders(first: 3) { nodes { total { amountMinor currency amount } lines { product { sku } } } } } }
}`;

// SQL building blocks mirroring the graph's encodings.
const gid = (type: string, col: string) => `translate(encode(convert_to('${type}:' || ${col}, 'UTF8'), 'base64'), E'+/=\\n', '-_')`;
const ts = (col: string) => `to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const digits = (cur: string) => `(case when ${cur} in ('BIF','CLP','DJF','GNF','ISK','JPY','KMF','KRW','PYG','RWF','UGX','UYI','VND','VUV','XAF','XOF','XPF') then 0 when ${cur} in ('BHD','IQD','JOD','KWD','LYD','OMR','TND') then 3 when ${cur} in ('CLF','UYW') then 4 else 2 end)`;
const money = (minor: string, cur: string) => `json_build_object('amountMinor', ${minor}, 'currency', ${cur}, 'amount', round(${minor}::numeric / power(10::numeric, ${digits(cur)}), ${digits(cur)})::text)`;

function customer360Sql(withValue: boolean): string {
  return `
select json_build_object(
  'id', ${gid('Customer', 'c.id')}, 'firstName', c.first_name, 'lastName', c.last_name, 'email', c.email, 'phone', c.phone,
  'locale', c.locale, 'status', upper(c.status), 'createdAt', ${ts('c.created_at')},
  'identities', coalesce((select json_agg(json_build_object('kind', upper(i.kind), 'namespace', i.namespace, 'value', i.value) order by i.kind, i.namespace, i.value)
                          from identities i where i.customer_id = c.id), '[]'),
  'orders', json_build_object(
    'totalCount', (select count(*) from orders where customer_id = c.id),
    'nodes', coalesce((select json_agg(json_build_object(
        'id', ${gid('Order', 'o.id')}, 'placedAt', ${ts('o.placed_at')}, 'channel', upper(o.channel), 'status', upper(o.status),
        'total', ${money('o.total_minor', 'o.currency')},
        'lines', coalesce((select json_agg(json_build_object(
            'position', l.position, 'quantity', l.quantity,
            'unitPrice', ${money('l.unit_price_minor', 'l.currency')}, 'lineTotal', ${money('l.line_total_minor', 'l.currency')},
            'product', json_build_object('id', ${gid('Product', 'p.id')}, 'sku', p.sku, 'name', p.name, 'category', p.category)) order by l.position)
          from order_lines l join products p on p.id = l.product_id where l.order_id = o.id), '[]')) order by o.placed_at desc, o.id desc)
      from (select * from orders where customer_id = c.id order by placed_at desc, id desc limit $2) o), '[]')),
  'interactions', json_build_object(
    'totalCount', (select count(*) from interactions where customer_id = c.id),
    'nodes', coalesce((select json_agg(json_build_object(
        'id', ${gid('Interaction', 'x.id')}, 'occurredAt', ${ts('x.occurred_at')}, 'channel', upper(x.channel), 'type', upper(x.type), 'campaign', x.campaign,
        'product', case when p.id is null then null else json_build_object('sku', p.sku) end) order by x.occurred_at desc, x.id desc)
      from (select * from interactions where customer_id = c.id order by occurred_at desc, id desc limit $3) x left join products p on p.id = x.product_id), '[]')),
  'feedback', json_build_object(
    'totalCount', (select count(*) from feedback where customer_id = c.id),
    'nodes', coalesce((select json_agg(json_build_object(
        'id', ${gid('Feedback', 'f.id')}, 'kind', upper(f.kind), 'score', f.score, 'topic', f.topic, 'text', f.text, 'status', upper(f.status), 'submittedAt', ${ts('f.submitted_at')})
        order by f.submitted_at desc, f.id desc)
      from (select * from feedback where customer_id = c.id order by submitted_at desc, id desc limit 10) f), '[]')),
  'consents', json_build_object(
    'current', coalesce((select json_agg(json_build_object('purpose', upper(r.purpose), 'channel', upper(r.channel), 'status', upper(r.status), 'recordedAt', ${ts('r.recorded_at')}) order by r.purpose, r.channel)
      from (select distinct on (purpose, channel) * from consent_records where customer_id = c.id order by purpose, channel, seq desc) r), '[]'),
    'history', json_build_object(
      'totalCount', (select count(*) from consent_records where customer_id = c.id),
      'nodes', coalesce((select json_agg(json_build_object('purpose', upper(r.purpose), 'channel', upper(r.channel), 'status', upper(r.status), 'recordedAt', ${ts('r.recorded_at')}) order by r.seq desc, r.id desc)
        from (select * from consent_records where customer_id = c.id order by seq desc, id desc limit 20) r), '[]')))${withValue ? `,
  'value', (select json_build_object(
      'rfm', case when m.r_score is null then null else json_build_object('recency', m.r_score, 'frequency', m.f_score, 'monetary', m.m_score) end,
      'rfmSegment', m.rfm_segment, 'pAlive', case when p.objects then null else m.p_alive end,
      'predictedPurchases12m', case when p.objects then null else m.predicted_purchases12m end,
      'clv12m', case when p.objects or m.currency is null or m.clv12m_minor is null then null else ${money('m.clv12m_minor', 'm.currency')} end,
      'churnRisk', case when p.objects then null else m.churn_risk end, 'valueTier', case when p.objects then null else upper(m.value_tier) end,
      'lifecycleStage', case when p.objects then null else upper(m.lifecycle_stage) end, 'computedAt', ${ts('m.computed_at')})
    -- The model outputs are withheld from a customer who objects to profiling, as the API withholds them (src/auth/policy.ts).
    from customer_metrics m, lateral (select ${profilingObjectionSql('c.id')} as objects) p where m.customer_id = c.id)` : ''}
)::text as j
from customers c where c.id = $1`;
}

const LIST_SQL = `
select json_build_object('nodes', coalesce(json_agg(json_build_object(
  'id', ${gid('Customer', 'c.id')},
  'orders', json_build_object('nodes', coalesce((select json_agg(json_build_object(
      'total', ${money('o.total_minor', 'o.currency')},
      'lines', coalesce((select json_agg(json_build_object('product', json_build_object('sku', p.sku)) order by l.position)
                         from order_lines l join products p on p.id = l.product_id where l.order_id = o.id), '[]')) order by o.placed_at desc, o.id desc)
    from (select * from orders where customer_id = c.id order by placed_at desc, id desc limit 3) o), '[]')))
  order by c.created_at desc, c.id desc), '[]'))::text as j
from (select * from customers order by created_at desc, id desc limit $1) c`;

/** The hand-written baseline: node:http + pg, one statement per request, the JSON built by PostgreSQL. */
function startRawServer(pool: Pool, withValue: boolean): Promise<{ server: http.Server; port: number }> {
  const sql360 = customer360Sql(withValue);
  const server = http.createServer(async (req, res) => {
    try {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      let body: string;
      if (u.pathname === '/customer') {
        const { rows } = await pool.query<{ j: string }>({ name: 'bench_customer360', text: sql360, values: [u.searchParams.get('id'), Number(u.searchParams.get('orders') ?? 20), Number(u.searchParams.get('interactions') ?? 50)] });
        body = `{"data":{"customer":${rows[0]?.j ?? 'null'}}}`;
      } else if (u.pathname === '/customers') {
        const { rows } = await pool.query<{ j: string }>({ name: 'bench_customer_list', text: LIST_SQL, values: [Number(u.searchParams.get('first') ?? 100)] });
        body = `{"data":{"customers":${rows[0].j}}}`;
      } else {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } catch (err) {
      console.error('raw handler failed:', err);
      res.writeHead(500).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

// ---------------------------------------------------------------------------------------------

interface SetupResult {
  heavyId: string;
  withValue: boolean;
}

/**
 * Migrates, seeds and tops up the scratch database; runs in a child process so that the seed's
 * arrays and a second schema build stay out of the server process's RSS.
 */
async function setupDatabase(url: string): Promise<SetupResult> {
  const setupOrm = await initOrm(url, { poolMax: 4 });
  try {
    await migrate(setupOrm);
    const summary = await seedDemoData(setupOrm, { customers: CUSTOMERS, seed: 2024 });
    console.log(`seeded ${summary.customers} customers, ${summary.orders} orders, ${summary.orderLines} lines, ${summary.interactions} interactions, ${summary.feedback} feedback, ${summary.consents} consents`);
  } finally {
    await setupOrm.close();
  }
  const c = new Client({ connectionString: url });
  await c.connect();
  const heavyId = await topUpHeavyCustomer(c);
  await c.query('vacuum analyze');
  const { rows: [heavyCounts] } = await c.query(
    `select (select count(*) from orders where customer_id = $1)::int as orders,
            (select count(*) from order_lines where customer_id = $1)::int as lines,
            (select count(*) from interactions where customer_id = $1)::int as interactions,
            (select count(*) from consent_records where customer_id = $1)::int as consents`,
    [heavyId],
  );
  await c.end();

  // Does the graph have Customer.value (analytics)? Then fill it, so that it is not all nulls.
  const withValue = hasValueFields(await buildAppSchema());
  if (withValue) {
    const analyticsOrm = await initOrm(url, { poolMax: 2 });
    try {
      const modulePath = '../src/analytics/recompute';
      const { recomputeMetrics } = (await import(modulePath)) as { recomputeMetrics(em: EntityManager): Promise<unknown> };
      await recomputeMetrics(analyticsOrm.em.fork() as EntityManager);
    } finally {
      await analyticsOrm.close();
    }
  }
  console.log(`heavy customer: ${heavyCounts.orders} orders, ${heavyCounts.lines} lines, ${heavyCounts.interactions} interactions, ${heavyCounts.consents} consent records; Customer.value ${withValue ? 'present (metrics recomputed)' : 'absent from the schema: not queried'}`);
  return { heavyId, withValue };
}

/** Does the graph have Customer.value with the fields the bench reads (analytics)? */
function hasValueFields(schema: Awaited<ReturnType<typeof buildAppSchema>>): boolean {
  const customerType = schema.getType('Customer') as GraphQLObjectType;
  const valueField = customerType.getFields().value;
  const valueType = valueField ? getNamedType(valueField.type) : undefined;
  return isObjectType(valueType) && VALUE_FIELDS.every((f) => f in valueType.getFields());
}

async function main(): Promise<void> {
  const started = Date.now();
  let orm: MikroORM | undefined;
  let server: RapportServer | undefined;
  let raw: http.Server | undefined;
  let pool: Pool | undefined;
  let monitor: Client | undefined;
  let dropped = false;
  const cleanup = async () => {
    await monitor?.end().catch(() => {});
    monitor = undefined;
    if (raw) await new Promise<void>((r) => raw!.close(() => r()));
    raw = undefined;
    await server?.close().catch(() => {});
    server = undefined;
    await pool?.end().catch(() => {});
    pool = undefined;
    await orm?.close().catch(() => {});
    orm = undefined;
    if (!dropped && !REUSE) {
      dropped = true;
      await admin(`drop database if exists ${DB} with (force)`);
    }
  };
  process.once('SIGINT', () => {
    console.error('interrupted: dropping the scratch database');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    const url = dbUrl(DB);
    let heavyId: string;
    let withValue: boolean;
    if (REUSE) {
      const c = new Client({ connectionString: url });
      await c.connect();
      ({ rows: [{ id: heavyId }] } = await c.query<{ id: string }>(`select customer_id as id from orders group by customer_id order by count(*) desc, customer_id limit 1`));
      await c.end();
      withValue = hasValueFields(await buildAppSchema());
    } else {
      await admin(`drop database if exists ${DB} with (force)`);
      await admin(`create database ${DB}`);
      // Schema and data, in a child process.
      ({ heavyId, withValue } = await runChild<SetupResult>(['--setup-child', url], undefined, 15 * 60));
    }

    // The real server, as in production (rate limit off: one client sends everything).
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET,
      DATABASE_URL: url,
      EXPOSE_SQL_COUNT: 'true',
      LOG_LEVEL: 'silent',
      DB_POOL_MAX: String(POOL_MAX),
      RATE_LIMIT_PER_MINUTE: '0',
      // Production requires keyed pseudonyms for audit actors; any 32+ characters will do for a bench.
      PSEUDONYM_KEYS: 'bench-pseudonym-key-that-is-32-characters-long',
      // The background pollers (live relay, webhook and trigger workers) send a few statements a
      // second whatever the load: at 10 req/s on a busy machine they were a large part of the
      // PostgreSQL CPU per request. Off, so that the figure is the read path's; BENCH_BACKGROUND=on keeps them.
      ...(process.env.BENCH_BACKGROUND === 'on' ? {} : { LIVE_RELAY_POLL_MS: '0', WEBHOOK_WORKER: 'off', TRIGGER_WORKER: 'off' }),
    });
    orm = await initOrm(url, { poolMax: config.dbPoolMax, statementTimeoutMs: config.dbStatementTimeoutMs });
    server = await createServer({ orm, config, logger: createLogger(config) });
    const gqlPort = await server.listen(0, '127.0.0.1');
    const gqlUrl = `http://127.0.0.1:${gqlPort}/graphql`;
    const token = await signToken(JWT_SECRET, { sub: 'bench-admin', role: Role.ADMIN }, '2h');
    const gqlHeaders = { 'content-type': 'application/json', authorization: `Bearer ${token}` };

    pool = new Pool({ connectionString: url, max: POOL_MAX });
    // Reads the PostgreSQL backends' CPU (its own backend is left out of the sums).
    monitor = new Client({ connectionString: url });
    await monitor.connect();
    const mon = monitor;
    const rawStarted = await startRawServer(pool, withValue);
    raw = rawStarted.server;
    const rawBase = `http://127.0.0.1:${rawStarted.port}`;

    const gql = async (query: string, variables: Record<string, unknown>) => {
      const res = await fetch(gqlUrl, { method: 'POST', headers: gqlHeaders, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data?: unknown; errors?: unknown[]; extensions?: { sqlStatements?: number } };
      if (res.status !== 200 || body.errors) throw new Error(`GraphQL answered ${res.status}: ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
      return body;
    };
    const rawGet = async (path: string) => {
      const res = await fetch(rawBase + path);
      if (res.status !== 200) throw new Error(`raw server answered ${res.status} for ${path}`);
      return (await res.json()) as { data: unknown };
    };

    const customerGid = Buffer.from(`Customer:${heavyId}`).toString('base64url');
    const q360 = customer360Graphql(withValue);
    const cases = ([
      {
        name: '(a) customer 360',
        gqlBody: JSON.stringify({ query: q360, variables: { id: customerGid, orders: 20, interactions: 50 } }),
        rawPath: `/customer?id=${heavyId}&orders=20&interactions=50`,
        check: async () => [await gql(q360, { id: customerGid, orders: 20, interactions: 50 }), await rawGet(`/customer?id=${heavyId}&orders=20&interactions=50`)] as const,
        statements: async (n: number) => (await gql(q360, { id: customerGid, orders: n, interactions: n })).extensions?.sqlStatements,
        sizes: 'orders/interactions first',
      },
      {
        name: '(b) customers(first: 100)',
        gqlBody: JSON.stringify({ query: LIST_GRAPHQL, variables: { first: 100 } }),
        rawPath: '/customers?first=100',
        check: async () => [await gql(LIST_GRAPHQL, { first: 100 }), await rawGet('/customers?first=100')] as const,
        statements: async (n: number) => (await gql(LIST_GRAPHQL, { first: n })).extensions?.sqlStatements,
        sizes: 'customers first',
      },
    ]).filter((k) => CASES.includes(k.name.slice(1, 2)));

    // Same data from both sides, before anything is measured.
    const sameData: Record<string, boolean> = {};
    for (const k of cases) {
      const [g, r] = await k.check();
      sameData[k.name] = isDeepStrictEqual(g.data, r.data);
      if (!sameData[k.name]) console.warn(`WARNING ${k.name}: GraphQL and raw SQL return different data: ${firstDifference(g.data, r.data)}`);
    }

    // Measure. RSS sampled every 50 ms in this (server) process.
    const idleRss = process.memoryUsage().rss;
    /**
     * A server keeps working on requests whose client has gone (the warm-up's last ones): wait
     * until a small probe through the same path answers promptly twice in a row (at most 60 s).
     */
    const waitIdle = async (probe: () => Promise<unknown>) => {
      const deadline = Date.now() + 60_000;
      for (let fast = 0; fast < 2 && Date.now() < deadline; ) {
        const t = performance.now();
        await probe();
        fast = performance.now() - t < 50 ? fast + 1 : 0;
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const gqlProbe = () => gql(`query BenchProbe { customers(first: 1) { nodes { id } } }`, {});
    const rawProbe = () => rawGet('/customers?first=1');
    /**
     * One measured run: peak RSS (sampled every 50 ms) and the CPU time this process spent (user +
     * system, process.cpuUsage) per completed request. The server under test lives in this process
     * (autocannon runs in a child), so that is the server's CPU per request. `pgMs`: the CPU time
     * of the scratch database's PostgreSQL backends per completed request, over the same run (the
     * server's background pollers are off unless BENCH_BACKGROUND=on).
     */
    const measure = async (req: Omit<LoadRequest, 'connections' | 'duration'>, probe: () => Promise<unknown>) => {
      await waitIdle(probe);
      await runLoad({ ...req, connections: CONNECTIONS, duration: WARMUP_S });
      await waitIdle(probe);
      let peak = process.memoryUsage().rss;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      const pg0 = await backendCpu(mon, DB);
      const cpu0 = process.cpuUsage();
      try {
        const r = await runLoad({ ...req, connections: CONNECTIONS, duration: DURATION_S });
        const cpu = process.cpuUsage(cpu0);
        const pgS = await backendCpuSince(mon, DB, pg0);
        const n = Math.max(1, r.requests);
        return { r, peak, cpuMs: (cpu.user + cpu.system) / 1000 / n, pgMs: (pgS * 1000) / n, load: os.loadavg()[0] };
      } finally {
        clearInterval(sampler);
      }
    };
    /**
     * CPU per request with ONE request at a time (BENCH_SEQUENTIAL requests after a tenth as many
     * unmeasured): no queueing and no concurrency in the server, so the figure moves less when the
     * machine is shared than the loaded runs' do.
     */
    const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 100);
    const sequentialCpu = async (send: () => Promise<unknown>) => {
      for (let i = 0; i < Math.ceil(SEQUENTIAL / 10); i++) await send();
      const pg0 = await backendCpu(mon, DB);
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < SEQUENTIAL; i++) await send();
      const cpu = process.cpuUsage(cpu0);
      const pgS = await backendCpuSince(mon, DB, pg0);
      return { node: (cpu.user + cpu.system) / 1000 / SEQUENTIAL, pg: (pgS * 1000) / SEQUENTIAL };
    };
    // READ_PLANNER (README "Performance"): the same server, with the read planner off, then on.
    const modes = (process.env.BENCH_PLANNER ?? 'off,on').split(',').map((m) => m.trim()).filter((m) => m === 'on' || m === 'off');
    type Measured = Awaited<ReturnType<typeof measure>>;
    type Sequential = Awaited<ReturnType<typeof sequentialCpu>>;
    const results: Array<{ name: string; raw: Measured; gql: Record<string, Measured>; statements: Record<string, [number | undefined, number | undefined]>; seq: Record<string, Sequential> }> = [];
    for (const k of cases) {
      const gqlRuns: Record<string, Measured> = {};
      const seq: Record<string, Sequential> = {};
      const stmts: Record<string, [number | undefined, number | undefined]> = {};
      for (const mode of modes) {
        (config as { readPlanner: boolean }).readPlanner = mode === 'on';
        const [g, r] = await k.check();
        if (!isDeepStrictEqual(g.data, r.data)) {
          sameData[k.name] = false;
          console.warn(`WARNING ${k.name} (planner ${mode}): GraphQL and raw SQL return different data: ${firstDifference(g.data, r.data)}`);
        }
        stmts[mode] = [await k.statements(10), await k.statements(100)];
        console.log(`measuring ${k.name}: GraphQL, planner ${mode}…`);
        if (SEQUENTIAL > 0) {
          const body = JSON.parse(k.gqlBody) as { query: string; variables: Record<string, unknown> };
          seq[mode] = await sequentialCpu(() => gql(body.query, body.variables));
        }
        const profiler = await startProfile();
        gqlRuns[mode] = await measure({ url: gqlUrl, method: 'POST', headers: gqlHeaders, body: k.gqlBody }, gqlProbe);
        await profiler?.stop(`${k.name.slice(1, 2)}-planner-${mode}`);
      }
      console.log(`measuring ${k.name}: raw SQL…`);
      if (SEQUENTIAL > 0) seq.raw = await sequentialCpu(() => rawGet(k.rawPath));
      const r = await measure({ url: rawBase + k.rawPath, method: 'GET' }, rawProbe);
      results.push({ name: k.name, raw: r, gql: gqlRuns, statements: stmts, seq });
    }

    // Report.
    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MB`;
    const rows: string[][] = [['case', 'side', 'req/s', 'server CPU ms/req', 'PG CPU ms/req', 'total CPU ms/req', 'p50 ms', 'p99 ms', 'requests', 'non-2xx/err', 'peak RSS', 'load avg']];
    for (const x of results) {
      const sides: Array<[string, Measured]> = [...modes.map((m) => [`GraphQL, planner ${m}`, x.gql[m]] as [string, Measured]), ['raw SQL', x.raw]];
      for (const [side, { r, cpuMs, pgMs, peak, load }] of sides) {
        rows.push([x.name, side, r.rps.toFixed(0), cpuMs.toFixed(2), pgMs.toFixed(2), (cpuMs + pgMs).toFixed(2), String(r.p50), String(r.p99), String(r.requests), `${r.non2xx}/${r.errors + r.timeouts}`, mb(peak), load.toFixed(1)]);
      }
    }
    console.log('');
    console.log(`Rapport API bench — ${CUSTOMERS} customers, ${CONNECTIONS} connections, ${DURATION_S} s per run (after ${WARMUP_S} s warm-up), pools of ${POOL_MAX}, Node ${process.version}, ${os.cpus().length} CPUs (load average ${os.loadavg()[0].toFixed(1)} at the end), autocannon in a child process`);
    console.log(table(rows));
    console.log('');
    const summary: string[][] = [['case', 'planner', 'GraphQL/raw req/s', 'server CPU ratio raw/GraphQL', 'total CPU ratio raw/GraphQL', 'target ≥ 0.5', 'same data', 'SQL statements at first: 10', 'at first: 100']];
    for (const x of results) {
      for (const m of modes) {
        const ratio = x.gql[m].r.rps / x.raw.r.rps;
        const [s10, s100] = x.statements[m];
        summary.push([x.name, m, ratio.toFixed(2), (x.raw.cpuMs / x.gql[m].cpuMs).toFixed(2), ((x.raw.cpuMs + x.raw.pgMs) / (x.gql[m].cpuMs + x.gql[m].pgMs)).toFixed(2), ratio >= 0.5 ? 'met' : 'NOT met', sameData[x.name] === false ? 'NO' : 'yes', `${s10} (${cases.find((k) => k.name === x.name)!.sizes} 10)`, String(s100)]);
      }
    }
    console.log(table(summary));
    console.log('');
    if (SEQUENTIAL > 0) {
      const both = (c: Sequential) => `${c.node.toFixed(2)} + ${c.pg.toFixed(2)} = ${(c.node + c.pg).toFixed(2)}`;
      const seqRows: string[][] = [['case', ...modes.map((m) => `GraphQL planner ${m}: server + PG = total CPU ms/req`), 'raw SQL: server + PG = total', ...modes.map((m) => `total CPU ratio raw/GraphQL, planner ${m}`)]];
      for (const x of results) seqRows.push([x.name, ...modes.map((m) => both(x.seq[m])), both(x.seq.raw), ...modes.map((m) => ((x.seq.raw.node + x.seq.raw.pg) / (x.seq[m].node + x.seq[m].pg)).toFixed(2))]);
      console.log(`one request at a time (${SEQUENTIAL} requests each; CPU of the server process, client's JSON parsing included on both sides, and of the PostgreSQL backends):`);
      console.log(table(seqRows));
      console.log('');
    }
    const gqlPeak = (m: string) => Math.max(...results.map((x) => x.gql[m].peak));
    console.log(`server process RSS: ${mb(idleRss)} before load; peak under load ${mb(Math.max(...results.flatMap((x) => [x.raw.peak, ...modes.map((m) => x.gql[m].peak)])))} (${modes.map((m) => `GraphQL planner ${m}: ${mb(gqlPeak(m))}`).join(', ')}, raw runs ${mb(Math.max(...results.map((x) => x.raw.peak)))}); node flags: ${process.execArgv.join(' ') || 'none'}`);
    console.log(`raw SQL: one statement per request; GraphQL statements include the audit-log write for personal-data reads (case a). Total time ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  } finally {
    await cleanup();
  }
}

function firstDifference(a: unknown, b: unknown, path = '$'): string {
  if (isDeepStrictEqual(a, b)) return 'none';
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys) {
      const va = (a as Record<string, unknown>)[k];
      const vb = (b as Record<string, unknown>)[k];
      if (!isDeepStrictEqual(va, vb)) return firstDifference(va, vb, `${path}.${k}`);
    }
  }
  return `${path}: GraphQL ${JSON.stringify(a)?.slice(0, 200)} vs raw ${JSON.stringify(b)?.slice(0, 200)}`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((v, i) => (i === 0 || i === 1 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

if (process.argv.includes('--load-child')) {
  void loadChild();
} else if (process.argv.includes('--setup-child')) {
  setupDatabase(process.argv[process.argv.indexOf('--setup-child') + 1]).then(
    (r) => process.send!(r, () => process.exit(0)),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
