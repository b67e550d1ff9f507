import 'reflect-metadata';
import { adminQuery, withDatabase } from '../src/db/pg-admin';
import { Client } from 'pg';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { EntityManager } from '@mikro-orm/postgresql';
import { initOrm, migrate } from '../src/db/orm';
import { recomputeMetrics } from '../src/analytics/recompute';

/**
 * npm run bench:analytics — generates CUSTOMERS customers with about ORDERS_PER_CUSTOMER orders each
 * (default 1,000,000 and 10, i.e. ~10M orders) in a scratch database, then times in the same run:
 *   (a) a bare `GROUP BY customer_id` aggregate over the same orders (materialised server-side), and
 *   (b) the full metrics recompute (RFM, BG/NBD + Gamma-Gamma fits and predictions, tiers, stages),
 * and prints both, their ratio, the bench process's peak RSS and the PostgreSQL backends' peak private
 * memory (RssAnon, sampled from /proc every 100 ms: the server must run on this machine) and temp files
 * written. Target: ratio ≤ 3, flat memory. The run is a first run (every stage new, a million
 * announcements); BENCH_SECOND_RUN=1 also times a second run on the same data (nothing changed).
 * LINES_PER_ORDER=n also writes n lines per order over 1,000 products (default 0: the margin CLV's per-line
 * revenue and cost, a pass over every line, then costs nothing, and the bench says so).
 * INTERACTIONS_PER_CUSTOMER=n also writes about n interactions per customer over the last 365 days (page and
 * product views, e-mail sends and opens; default 0) and FEEDBACK_PER_CUSTOMER=f about f feedback rows per customer over
 * the same year (NPS, CSAT, reviews, complaints; default 0): what the engagement decline and negative-feedback counts
 * read (their last 90 days). Without them those two counts cost nothing, and the bench says so.
 * BENCH_KEEP=1 keeps the database; BENCH_REUSE=1 measures again on a kept one.
 * BENCH_DATABASE_URL: server to use (default postgres://postgres@127.0.0.1:5432/postgres); BENCH_DB: the scratch database's name.
 */
const ADMIN = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CUSTOMERS = Number(process.env.CUSTOMERS ?? 1_000_000);
const PER = Number(process.env.ORDERS_PER_CUSTOMER ?? 10);
const DB = process.env.BENCH_DB ?? 'rapport_bench_analytics';
/** Order lines per order (default 0: orders only, as the figures before 2026-12-07 were measured). */
const LINES = Number(process.env.LINES_PER_ORDER ?? 0);
/** Interactions and feedback rows per customer, on average, over the last year (default 0). */
const INTERACTIONS = Number(process.env.INTERACTIONS_PER_CUSTOMER ?? 0);
const FEEDBACK = Number(process.env.FEEDBACK_PER_CUSTOMER ?? 0);

const admin = (sql: string) => adminQuery(ADMIN, sql);

const url = (db: string) => withDatabase(ADMIN, db);

async function main() {
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const seconds = (ms: number) => (ms / 1000).toFixed(2);

  // BENCH_REUSE=1: measure again on the data a BENCH_KEEP=1 run left (generation takes minutes).
  const probe = new Client({ connectionString: ADMIN });
  await probe.connect();
  const exists = (await probe.query(`select 1 from pg_database where datname = $1`, [DB])).rowCount! > 0;
  await probe.end();
  const reuse = process.env.BENCH_REUSE === '1' && exists;
  if (!reuse) {
    await admin(`drop database if exists ${DB} with (force)`);
    await admin(`create database ${DB}`);
  }
  const orm = await initOrm(url(DB), { poolMax: 4 });
  await migrate(orm);
  const c = new Client({ connectionString: url(DB) });
  await c.connect();

  let t = Date.now();
  if (!reuse) await generate(c);
  // Always a first run (every customer's first stage announced and recorded), as on fresh data.
  else await c.query('truncate customer_metrics, customer_lifecycle_states, customer_lifecycle_transitions, outbox_events, analytics_runs cascade');
  const { rows: [counts] } = await c.query(`select (select count(*) from customers) as customers, (select count(*) from orders) as orders, (select count(*) from order_lines) as lines,
                                                   (select count(*) from interactions) as interactions, (select count(*) from feedback) as feedback`);
  console.log(`${reuse ? 'reused' : 'generated'} ${counts.customers} customers, ${counts.orders} orders, ${counts.lines} order lines, ${counts.interactions} interactions, ${counts.feedback} feedback in ${seconds(Date.now() - t)} s`);
  if (Number(counts.lines) === 0) console.log('  (no order lines: the margin CLV\'s pass over every line is not measured; LINES_PER_ORDER=2 measures it)');
  if (Number(counts.interactions) === 0 || Number(counts.feedback) === 0) {
    console.log('  (no interactions or no feedback: the engagement and negative-feedback counts cost nothing; INTERACTIONS_PER_CUSTOMER=24 FEEDBACK_PER_CUSTOMER=1 measure them)');
  }

  // Warm the cache once so neither measurement pays for the first read from disk.
  await c.query('select count(*) from orders');

  const sampler2 = new Client({ connectionString: url(DB) });
  await sampler2.connect();
  const bareBackends = new BackendMemory(sampler2);
  await new Promise((r) => setTimeout(r, 300));
  t = Date.now();
  await c.query(`create temp table bare as select customer_id, count(*) as n, sum(total_minor) as value, min(placed_at) as first_at, max(placed_at) as last_at
                 from orders group by customer_id`);
  const bareMs = Date.now() - t;
  await bareBackends.stop();
  const bareCpu = bareBackends.cpuSeconds;
  await c.query('drop table bare');

  const tempBytes = async () => Number((await c.query(`select temp_bytes from pg_stat_database where datname = current_database()`)).rows[0].temp_bytes);
  const temp0 = await tempBytes();
  const backends = new BackendMemory(sampler2);
  await new Promise((r) => setTimeout(r, 300)); // a first sample of every backend before the run
  const nodeCpu0 = process.cpuUsage();
  t = Date.now();
  const summary = await recomputeMetrics(orm.em.fork() as EntityManager);
  const fullMs = Date.now() - t;
  const nodeCpu = process.cpuUsage(nodeCpu0);
  await backends.stop();
  const tempWritten = (await tempBytes()) - temp0;
  let secondMs: number | null = null;
  let second: Awaited<ReturnType<typeof recomputeMetrics>> | null = null;
  if (process.env.BENCH_SECOND_RUN === '1') {
    t = Date.now();
    second = await recomputeMetrics(orm.em.fork() as EntityManager);
    secondMs = Date.now() - t;
  }

  clearInterval(sampler);
  console.log(`bare GROUP BY customer aggregate: ${seconds(bareMs)} s`);
  console.log(`full metrics recompute:           ${seconds(fullMs)} s (${summary.customers} customers, ${summary.modelGroups} prediction grid rows)`);
  console.log(`  steps (ms): ${JSON.stringify(summary.timingsMs)}`);
  console.log(`  purchase model: ${JSON.stringify(summary.purchaseModel && { model: summary.purchaseModel.model, params: summary.purchaseModel.params })}  Gamma-Gamma: ${JSON.stringify(summary.gammaGamma)}`);
  console.log(`ratio recompute / aggregate:      ${(fullMs / bareMs).toFixed(2)} (target ≤ 3); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at ${new Date().toISOString()}`);
  console.log(`peak RSS of this process:         ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
  console.log(`CPU of the bare aggregate's backend: ${bareCpu.toFixed(2)} s; CPU ratio (backends + this process) / bare: ${((backends.cpuSeconds + (nodeCpu.user + nodeCpu.system) / 1e6) / bareCpu).toFixed(2)}`);
  console.log(`CPU of the recompute: PostgreSQL backends ${backends.cpuSeconds.toFixed(2)} s, this process (fits, grid) ${((nodeCpu.user + nodeCpu.system) / 1e6).toFixed(2)} s`);
  console.log(`PostgreSQL backends, peak private memory (sum of RssAnon): ${(backends.peakKb / 1024).toFixed(0)} MiB; temp files written: ${(tempWritten / 1024 / 1024).toFixed(0)} MiB`);
  if (secondMs != null) {
    console.log(`second run (same data, no stage changes): ${seconds(secondMs)} s, ratio ${(secondMs / bareMs).toFixed(2)}`);
    console.log(`  steps (ms): ${JSON.stringify(second!.timingsMs)}`);
  }
  await c.end();
  await sampler2.end();
  await orm.close();
  if (!process.env.BENCH_KEEP) await admin(`drop database if exists ${DB} with (force)`);
}

/** Samples the private memory (RssAnon) of this database's server processes, parallel workers included. */
class BackendMemory {
  peakKb = 0;
  private timer: NodeJS.Timeout;
  /** The first sample: what the processes alive then have used so far is not the measurement's. */
  private baseline = true;
  private busy = false;
  constructor(private c: Client) {
    this.timer = setInterval(() => void this.sample(), 100);
    void this.sample();
  }
  private async sample(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { rows } = await this.c.query<{ pid: number }>(`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
      let kb = 0;
      for (const { pid } of rows) {
        try {
          const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
          if (m) kb += Number(m[1]);
          // utime + stime (fields 14 and 15, in clock ticks of 1/100 s), counted from the first sample that saw the process
          const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
          const ticks = Number(f[11]) + Number(f[12]);
          // A process first seen after the first sample started during the measurement (a parallel
          // worker, mostly: they come and go within a statement): all its CPU counts. Counting it from
          // the first sample that saw it lost up to 100 ms per worker, and a worker that lived between
          // two samples was lost whole.
          if (ticks < (this.lastTicks.get(pid) ?? 0)) {
            // the pid was reused by a new process: keep what the old one used
            this.endedTicks += this.lastTicks.get(pid)! - this.firstTicks.get(pid)!;
            this.firstTicks.set(pid, 0);
          }
          const first = this.firstTicks.get(pid) ?? (this.baseline ? ticks : 0);
          this.firstTicks.set(pid, first);
          this.lastTicks.set(pid, ticks);
        } catch {
          // the process ended between the query and the read
        }
      }
      this.peakKb = Math.max(this.peakKb, kb);
      this.baseline = false;
    } finally {
      this.busy = false;
    }
  }
  /** CPU seconds the database's server processes used while sampled (a parallel worker's last < 100 ms before it exits is missed). */
  get cpuSeconds(): number {
    let t = this.endedTicks;
    for (const [pid, last] of this.lastTicks) t += last - this.firstTicks.get(pid)!;
    return t / 100;
  }
  private firstTicks = new Map<number, number>();
  private lastTicks = new Map<number, number>();
  private endedTicks = 0;
  async stop(): Promise<void> {
    clearInterval(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 10));
    await this.sample();
  }
}

/**
 * The bench data, set-based in PostgreSQL (INSERT … SELECT over generate_series) and deterministic:
 * setseed(BENCH_SEED) before the draws, which one backend makes in plan order, and customer ids derived
 * from the row number (md5 as a uuid: as scattered as gen_random_uuid()). Loaded as a bulk load is:
 * with the tables' triggers and foreign-key checks off (session_replication_role = replica: the
 * outbox triggers would record 10M order.recorded events and keep every row in a transition table,
 * which the analytics never read) and the orders' indexes dropped and rebuilt after (one sort each
 * instead of 10M random insertions into three btrees: the index maintenance was most of the 653 s a
 * million customers took). The same distributions as before (see the comment in the orders insert).
 */
async function generate(c: Client): Promise<void> {
  const seed = Number(process.env.BENCH_SEED ?? 0.42);
  await c.query(`set session_replication_role = replica`);
  await c.query(`set work_mem = '256MB'`);
  await c.query(`set maintenance_work_mem = '512MB'`);
  await c.query(`select setseed($1)`, [seed]);
  await c.query(`insert into customers (id, email, created_at, first_seen_at, last_seen_at)
                 select md5('rapport-bench-customer-' || g)::uuid, 'bench' || g || '@example.com', now() - random() * interval '1000 days', now(), now()
                 from generate_series(1, $1) g order by g`, [CUSTOMERS]);
  // Buyers as the purchase models see them, with heterogeneity in both rate and dropout, so that the fits
  // have an interior maximum (the uniform order times this bench used before have no dropout at all, and
  // the BG/NBD fit ran out along a ridge to a → 0, b → ∞): while alive, a customer orders at a Poisson
  // rate λ ~ Exponential (Gamma with r = 1; mean RATE per day) from sign-up to now (n of them, drawn as
  // floor(λ·age + U): the Poisson mean with less spread), and drops out after each order with p ~ Beta(1, 3),
  // so only the first K + 1 orders (K ~ Geometric(p)) are placed; 5 % are returned. A BG/NBD fit then
  // finds r ≈ 1, a ≈ 1, b ≈ 3. RATE is set so that a customer places ORDERS_PER_CUSTOMER orders on average.
  const rate = (0.16 * PER) / 10;
  const restoreOrders = await dropIndexes(c, 'orders');
  // The per-customer draws are made in a subquery that references the customer row: a LATERAL call
  // that does not reference it may be evaluated once for all rows.
  await c.query(`insert into orders (customer_id, source, external_id, placed_at, channel, status, currency, subtotal_minor, discount_minor, total_minor, created_at)
                 select id, 'bench', null, at, 'web', case when random() < 0.05 then 'returned' else 'delivered' end, 'EUR', v, 0, v, now()
                 from (select c.id, t.at, (1000 + floor(random() * 20000))::bigint as v
                       from (select id, created_at, age,
                                    floor(-ln(1 - random()) * ${rate} * age + random())::int as n,
                                    -- K = 1 + floor(ln U / ln(1 − p)) with 1 − p = U′^(1/3), i.e. p ~ Beta(1, 3)
                                    1 + floor(3 * ln(1 - random()) / least(-1e-12, ln(1 - random()))) as k
                             from (select id, created_at, extract(epoch from now() - created_at) / 86400 as age from customers offset 0) a) c
                       -- the customer's n order times, of which the first k + 1 are placed: sorted per customer
                       -- (a few rows each) rather than by a window over all the draws
                       cross join lateral (select at from (select c.created_at + random() * (now() - c.created_at) as at from generate_series(1, c.n) g) u
                                           order by at limit (c.k + 1)::bigint) t) o`);
  await restoreOrders();
  if (LINES > 0) {
    // LINES_PER_ORDER lines per order, over 1,000 products (one in ten without a unit cost), each worth an
    // equal share of the order's total: what the margin CLV's revenue and cost per customer read.
    await c.query(`insert into products (id, sku, name, category, price_minor, unit_cost_minor, currency)
                   select md5('rapport-bench-product-' || g)::uuid, 'BENCH-' || g, 'Product ' || g, 'category ' || (g % 20), 1000 + g,
                          case when g % 10 <> 0 then 600 + g / 2 end, 'EUR'
                   from generate_series(0, 999) g`);
    const restoreLines = await dropIndexes(c, 'order_lines');
    await c.query(`insert into order_lines (order_id, customer_id, product_id, quantity, unit_price_minor, line_total_minor, currency, position)
                   select o.id, o.customer_id, md5('rapport-bench-product-' || ((hashtext(o.id::text || k) & 1023) % 1000))::uuid, 1,
                          o.total_minor / ${LINES}, o.total_minor / ${LINES}, o.currency, k
                   from orders o cross join generate_series(1, ${LINES}) k`);
    await restoreLines();
  }
  if (INTERACTIONS > 0) {
    // The year's month partitions first (rows of a month without one would all land in DEFAULT), then
    // Poisson-ish counts per customer (floor(2·n·U), mean n) at uniform times over the year. Sends are
    // not engagement: the recompute leaves them out, as it would in production.
    await c.query(`select rapport_ensure_interaction_partition((date_trunc('month', now()) - make_interval(months => m))::date) from generate_series(0, 12) m`);
    // Loaded without the indexes and rebuilt after, as the orders are (24M random insertions into five
    // btrees per partition took most of the ~10 minutes a million customers' interactions took).
    const restoreInteractions = await dropIndexes(c, 'interactions');
    await c.query(`insert into interactions (customer_id, occurred_at, channel, type, source)
                   select c.id, now() - random() * interval '365 days', k.channel, k.type, 'bench'
                   from customers c
                   cross join lateral generate_series(1, floor(2 * ${INTERACTIONS} * random() + (c.id is null)::int)::int) g
                   cross join lateral (select (array['web', 'web', 'email', 'email'])[1 + (g % 4)] as channel,
                                              (array['page_view', 'product_view', 'email_send', 'email_open'])[1 + (g % 4)] as type) k`);
    await restoreInteractions();
  }
  if (FEEDBACK > 0) {
    await c.query(`insert into feedback (customer_id, kind, score, submitted_at)
                   select c.id, k.kind, case k.kind when 'nps' then floor(random() * 11) when 'complaint' then null else 1 + floor(random() * 5) end,
                          now() - random() * interval '365 days'
                   from customers c
                   cross join lateral generate_series(1, floor(2 * ${FEEDBACK} * random() + (c.id is null)::int)::int) g
                   cross join lateral (select (array['nps', 'csat', 'review', 'complaint'])[1 + (g % 4)] as kind) k`);
  }
  await c.query(`reset session_replication_role`);
  await c.query('vacuum analyze customers');
  await c.query('vacuum analyze orders');
  if (LINES > 0) await c.query('vacuum analyze order_lines');
  if (INTERACTIONS > 0) await c.query('vacuum analyze interactions');
  if (FEEDBACK > 0) await c.query('vacuum analyze feedback');
}

/**
 * Drops the indexes of `table` and the foreign keys that reference it (a bulk load then writes heap pages
 * only); the function returned builds them again (one sort each).
 */
async function dropIndexes(c: Client, table: string): Promise<() => Promise<void>> {
  const indexes: Array<{ name: string; def: string; constraint: boolean }> = (
    await c.query(`select i.relname as name, case when k.conname is null then pg_get_indexdef(i.oid)
                                                   else 'alter table ${table} add constraint ' || quote_ident(k.conname) || ' ' || pg_get_constraintdef(k.oid) end as def,
                          k.conname is not null as constraint
                     from pg_index x join pg_class i on i.oid = x.indexrelid left join pg_constraint k on k.conindid = x.indexrelid and k.conrelid = x.indrelid
                    where x.indrelid = $1::regclass`, [table])
  ).rows;
  const referencing: Array<{ tbl: string; name: string; def: string }> = (
    await c.query(`select conrelid::regclass::text as tbl, conname as name, pg_get_constraintdef(oid) as def from pg_constraint where confrelid = $1::regclass and contype = 'f'`, [table])
  ).rows;
  for (const f of referencing) await c.query(`alter table ${f.tbl} drop constraint ${f.name}`);
  for (const ix of indexes) await c.query(ix.constraint ? `alter table ${table} drop constraint ${ix.name}` : `drop index ${ix.name}`);
  return async () => {
    // (a partitioned table's index is defined ON ONLY the parent; ON builds it on every partition too)
    for (const ix of indexes) await c.query(ix.def.replace(/ ON ONLY /, ' ON '));
    for (const f of referencing) await c.query(`alter table ${f.tbl} add constraint ${f.name} ${f.def}`);
  };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
