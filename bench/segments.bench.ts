import 'reflect-metadata';
import { Client } from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { adminQuery, withDatabase } from '../src/db/pg-admin';
import { initOrm, migrate } from '../src/db/orm';
import { createSegment } from '../src/analytics/segments.service';
import type { SegmentRule } from '../src/analytics/segment-rule';

/**
 * npm run bench:segments — the cost of real-time segment membership (README "Segments"), in a scratch
 * database on BENCH_DATABASE_URL with SEGMENT_CUSTOMERS customers (default 20,000), a few orders and
 * views each, and ten segments of every kind of condition:
 *   (a) single-customer writes, one transaction each (SEGMENT_WRITES, default 1,000 product views),
 *       with the segment triggers and without them (the outbox triggers stay): mean ms per write;
 *   (b) one statement inserting one view for every customer (an import batch), with and without.
 * Prints both and the overhead; nothing is asserted.
 */
const ADMIN = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CUSTOMERS = Number(process.env.SEGMENT_CUSTOMERS ?? 20_000);
const WRITES = Number(process.env.SEGMENT_WRITES ?? 1_000);
const BULK = process.env.SEGMENT_BULK !== '0';
const DB = `rapport_bench_segments_${process.pid}`;

const RULES: Record<string, SegmentRule> = {
  'viewed-bench-category': { viewed: { category: 'cat3', withinDays: 30 } },
  'viewed-sku-twice': { viewed: { sku: 'SKU-7', withinDays: 7, minCount: 2 } },
  'bought-recently': { bought: { withinDays: 90 } },
  'web-active': { interacted: { channel: 'web' as never, withinDays: 14, minCount: 3 } },
  'inferred-cat1': { prefers: { kind: 'category' as never, value: 'cat1', source: 'inferred' as never } },
  'stated-cat2': { prefers: { kind: 'category' as never, value: 'cat2' } },
  'vip-trait': { trait: { key: 'vip', op: '=' as never, boolean: true } },
  'email-ok': { consent: { purpose: 'email_marketing' as never } },
  'country-de': { country: ['DE'] },
  'mixed': { all: [{ viewed: { category: 'cat2', withinDays: 30 } }, { not: { bought: { withinDays: 30 } } }] },
};

async function timeWrites(c: Client, offset: number): Promise<number> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < WRITES; i++) {
    await c.query(`insert into interactions (customer_id, occurred_at, channel, type, product_id)
                   values (md5('bench-c' || $1::int)::uuid, now(), 'web', 'product_view', md5('bench-p' || $2::int)::uuid)`, [(offset + i * 7919) % CUSTOMERS, i % 20]);
  }
  return Number(process.hrtime.bigint() - started) / 1e6 / WRITES;
}

async function timeBulk(c: Client): Promise<number> {
  const started = process.hrtime.bigint();
  await c.query(`insert into interactions (customer_id, occurred_at, channel, type, product_id)
                 select id, now(), 'web', 'product_view', md5('bench-p' || (abs(hashtext(id::text)) % 20))::uuid from customers`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function setTriggers(c: Client, on: boolean): Promise<void> {
  for (const t of ['interactions_insert']) await c.query(`alter table interactions ${on ? 'enable' : 'disable'} trigger rapport_segments_${t}`);
}

async function main(): Promise<void> {
  await adminQuery(ADMIN, `drop database if exists ${DB} with (force)`);
  await adminQuery(ADMIN, `create database ${DB}`);
  const url = withDatabase(ADMIN, DB);
  const c = new Client({ connectionString: url });
  const orm = await initOrm(url, { poolMax: 2 });
  try {
    await migrate(orm);
    await c.connect();
    await c.query(`insert into products (id, sku, name, category, price_minor, currency)
                   select md5('bench-p' || g)::uuid, 'SKU-' || g, 'Product ' || g, 'cat' || (g % 5), 1000 + g, 'EUR' from generate_series(0, 19) g`);
    await c.query(`insert into customers (id, email, traits, address) select md5('bench-c' || g)::uuid, 'c' || g || '@bench.example',
                     jsonb_build_object('vip', g % 10 = 0), jsonb_build_object('country', case when g % 3 = 0 then 'DE' else 'FR' end)
                   from generate_series(0, $1 - 1) g`, [CUSTOMERS]);
    await c.query(`insert into interactions (customer_id, occurred_at, channel, type, product_id)
                   select md5('bench-c' || (g % $1))::uuid, now() - make_interval(days => g % 60), 'web', 'product_view', md5('bench-p' || (g % 20))::uuid
                   from generate_series(0, $1 * 5 - 1) g`, [CUSTOMERS]);
    const em = orm.em.fork() as EntityManager;
    let started = Date.now();
    for (const [name, rule] of Object.entries(RULES)) await createSegment(em, { name, rule }, 'bench');
    console.log(`${CUSTOMERS} customers, ${CUSTOMERS * 5} views; 10 segments created and evaluated over all customers in ${Date.now() - started} ms`);
    // Statistics as autovacuum would have them on a live database (the plans depend on them).
    await c.query('analyze');
    const depending = (await c.query(`select count(*)::int as n from segments where 'interactions' = any(depends_on)`)).rows[0].n;

    const withTriggers = await timeWrites(c, 1);
    await setTriggers(c, false);
    const without = await timeWrites(c, 2);
    await setTriggers(c, true);
    console.log(`single view, own transaction: ${withTriggers.toFixed(2)} ms with real-time membership (${depending} segments read interactions), ${without.toFixed(2)} ms without: +${(withTriggers - without).toFixed(2)} ms per write`);

    if (!BULK) return;
    started = Date.now();
    const bulkWith = await timeBulk(c);
    await setTriggers(c, false);
    const bulkWithout = await timeBulk(c);
    await setTriggers(c, true);
    console.log(`one statement, ${CUSTOMERS} views: ${bulkWith.toFixed(0)} ms with, ${bulkWithout.toFixed(0)} ms without (ratio ${(bulkWith / bulkWithout).toFixed(1)})`);
  } finally {
    await c.end().catch(() => undefined);
    await orm.close();
    if (process.env.SEGMENT_KEEP_DB) console.log(`kept database ${DB}`);
    else await adminQuery(ADMIN, `drop database if exists ${DB} with (force)`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
