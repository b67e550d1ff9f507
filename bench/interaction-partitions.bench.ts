import 'reflect-metadata';
import { Client } from 'pg';
import { adminQuery, withDatabase } from '../src/db/pg-admin';
import { initOrm } from '../src/db/orm';

/**
 * npm run bench:partitions — the migration to monthly interaction partitions (Migration20261205230000)
 * on a table of ROWS interactions (default 1,000,000; two years of history, two thirds with an event
 * key): times the migration and checks that every row and key arrived (the test does the same at 100k).
 * BENCH_DATABASE_URL: server to use (default postgres://postgres@127.0.0.1:5432/postgres).
 */
const ADMIN = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROWS = Number(process.env.ROWS ?? 1_000_000);
const DB = 'rapport_bench_partitions';
const BEFORE = 'Migration20261205213806';

async function main() {
  const seconds = (ms: number) => (ms / 1000).toFixed(2);
  await adminQuery(ADMIN, `drop database if exists ${DB} with (force)`);
  await adminQuery(ADMIN, `create database ${DB}`);
  const orm = await initOrm(withDatabase(ADMIN, DB), { poolMax: 2 });
  await orm.getMigrator().up({ to: BEFORE });
  const c = new Client({ connectionString: withDatabase(ADMIN, DB) });
  await c.connect();
  let t = Date.now();
  await c.query(`insert into customers (id, email) select gen_random_uuid(), 'p' || g || '@example.com' from generate_series(1, 10000) g`);
  await c.query(`alter table interactions disable trigger rapport_outbox_interactions_insert`);
  await c.query(
    `with cs as (select array_agg(id order by id) as ids from customers)
     insert into interactions (customer_id, occurred_at, channel, type, properties, source, source_event_id)
     select cs.ids[1 + g % 10000], now() - (g % 730) * interval '1 day' + (g % 97) * interval '1 minute', 'web',
            case when g % 10 = 0 then 'offer_shown' else 'page_view' end,
            case when g % 10 = 0 then jsonb_build_object('offerId', 'o' || g % 7) else '{}'::jsonb end,
            'gen', case when g % 3 = 0 then null else 'e' || g end
     from cs, generate_series(1, $1) g`,
    [ROWS],
  );
  await c.query(`alter table interactions enable trigger rapport_outbox_interactions_insert`);
  await c.query('vacuum analyze interactions');
  const fingerprint = async () => (await c.query(
    `select count(*) as n, count(source_event_id) as keyed, md5(string_agg(concat_ws('|', id, customer_id, occurred_at, type, properties, source, source_event_id), ',' order by id)) as digest from interactions`,
  )).rows[0];
  const before = await fingerprint();
  console.log(`generated ${before.n} interactions in ${seconds(Date.now() - t)} s`);
  t = Date.now();
  await orm.getMigrator().up();
  const ms = Date.now() - t;
  const after = await fingerprint();
  const keys = (await c.query(`select count(*) as n from interaction_event_keys`)).rows[0].n;
  const parts = (await c.query(`select count(*) as n from pg_inherits where inhparent = 'interactions'::regclass`)).rows[0].n;
  console.log(`migration to monthly partitions: ${seconds(ms)} s for ${before.n} rows (${parts} partitions)`);
  console.log(`rows and digest identical: ${JSON.stringify(before) === JSON.stringify(after)}; event keys ${keys} of ${before.keyed}`);
  await c.end();
  await orm.close();
  await adminQuery(ADMIN, `drop database if exists ${DB} with (force)`);
  if (JSON.stringify(before) !== JSON.stringify(after) || String(keys) !== String(before.keyed)) process.exit(1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
