/**
 * The recompute writes its metrics into a fresh table, swaps it in, and announces lifecycle stages
 * set-based instead of through the customer_metrics statement triggers (src/analytics/recompute.ts,
 * swapInMetrics and announceStages). What others observe must not change: the table keeps its
 * columns, indexes, constraints and triggers; each run announces exactly the stages that changed
 * (from the last announced one), and brings customer_lifecycle_states up to date, touching only those.
 */
import { startTestApp, type TestApp } from '../helpers/test-server';
import { seedDemoData } from '../../src/cli/seed';
import { runAnalytics } from '../../src/analytics/run';
import { adminQuery } from '../helpers/pg';
import type { EntityManager } from '@mikro-orm/postgresql';

let app: TestApp;
const DAY = 86_400_000;

/** Everything about customer_metrics' definition that a swap could lose. */
async function definition(): Promise<unknown> {
  return {
    columns: await app.sql(
      `select column_name, data_type, is_nullable, column_default from information_schema.columns
        where table_schema = current_schema() and table_name = 'customer_metrics' order by ordinal_position`),
    indexes: await app.sql(`select indexname, indexdef from pg_indexes where tablename = 'customer_metrics' order by indexname`),
    constraints: await app.sql(
      `select conname, pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'customer_metrics'::regclass order by conname`),
    triggers: await app.sql(
      `select tgname, pg_get_triggerdef(oid) as def from pg_trigger where tgrelid = 'customer_metrics'::regclass and not tgisinternal order by tgname`),
    // What an operator may set on the table after the migrations: owner, grants, storage parameters, comment.
    table: await app.sql(
      `select relowner::regrole::text as owner, relacl::text[] as acl, reloptions, obj_description(oid, 'pg_class') as comment
         from pg_class where oid = 'customer_metrics'::regclass`),
    columnGrants: await app.sql(
      `select attname, attacl::text[] as acl from pg_attribute
        where attrelid = 'customer_metrics'::regclass and attacl is not null order by attname`),
  };
}

const stages = async () => new Map((await app.sql<{ customer_id: string; lifecycle_stage: string }>(
  'select customer_id, lifecycle_stage from customer_metrics')).map((r) => [r.customer_id, r.lifecycle_stage]));
const states = async () => new Map((await app.sql<{ customer_id: string; stage: string; changed_us: string }>(
  'select customer_id, stage, (extract(epoch from changed_at) * 1e6)::bigint::text as changed_us from customer_lifecycle_states'))
  .map((r) => [r.customer_id, { stage: r.stage, changedAt: Number(r.changed_us) }]));
const maxEventId = async () => (await app.sql<{ id: string | null }>('select max(id)::text as id from outbox_events'))[0].id ?? '0';
const announcedSince = (id: string) => app.sql<{ customer_id: string; data: { from: string | null; to: string } }>(
  `select customer_id, data from outbox_events where type = 'lifecycle.changed' and id > ?::bigint order by id`, [id]);

const recompute = async (asOf: Date) => {
  const res = await app.gql(`mutation($at: DateTime) { recomputeAnalytics(asOf: $at) { customers } }`, { at: asOf.toISOString() });
  expect(res.errors).toBeUndefined();
};

// Roles are global to the PostgreSQL cluster: names of this run's own, dropped at the end.
const suffix = `${process.pid}_${Date.now()}`;
const READER = `rapport_test_reader_${suffix}`;
const OWNER = `rapport_test_owner_${suffix}`;

beforeAll(async () => {
  app = await startTestApp();
  await seedDemoData(app.orm, { customers: 80, seed: 11 });
  // The seed runs analytics once: start from a table that has never been announced to, as on a first run.
  await app.sql('truncate customer_metrics, customer_lifecycle_states');
  // What an operator may have done: a reporting role that reads the metrics, another owner, a storage
  // parameter and a comment. A swap must carry each over.
  await app.sql(`create role ${READER}`);
  await app.sql(`create role ${OWNER}`);
  await app.sql(`grant select on customer_metrics to ${READER}`);
  await app.sql(`grant select (customer_id, lifecycle_stage) on customer_metrics to public`);
  await app.sql(`alter table customer_metrics owner to ${OWNER}`);
  await app.sql(`alter table customer_metrics set (fillfactor = 90)`);
  await app.sql(`comment on table customer_metrics is 'Per-customer metrics; it''s rebuilt by each analytics run'`);
});

afterAll(async () => {
  // Roles outlive the database (the run's databases are dropped at its end): their grants and
  // ownerships in it go first, then the roles.
  await app.sql(`drop owned by ${READER}, ${OWNER}`);
  await app.close();
  for (const role of [READER, OWNER]) await adminQuery(process.env.RAPPORT_TEST_ADMIN_URL!, `drop role if exists ${role}`);
});

it('keeps the table definition, announces each changed stage once in customer order, and updates only changed states', async () => {
  const before = await definition();

  let mark = await maxEventId();
  await recompute(new Date(Date.now() - 400 * DAY));
  expect(await definition()).toEqual(before);
  const first = await stages();
  expect(first.size).toBeGreaterThan(0);
  const firstEvents = await announcedSince(mark);
  // First run: every customer's stage is new (from null), announced once, in customer_id order.
  expect(firstEvents.map((e) => e.customer_id)).toEqual([...first.keys()].sort());
  for (const e of firstEvents) expect(e.data).toEqual({ from: null, to: first.get(e.customer_id) });
  const states1 = await states();
  expect(new Map([...states1].map(([id, s]) => [id, s.stage]))).toEqual(first);

  // A later as-of: some stages change. Exactly those are announced, from the previous stage.
  mark = await maxEventId();
  await recompute(new Date(Date.now() - 5 * DAY));
  expect(await definition()).toEqual(before);
  const second = await stages();
  const changed = [...second.keys()].filter((id) => first.get(id) !== second.get(id)).sort();
  expect(changed.length).toBeGreaterThan(0);
  expect(changed.length).toBeLessThan(second.size);
  const secondEvents = await announcedSince(mark);
  expect(secondEvents.map((e) => e.customer_id)).toEqual(changed);
  for (const e of secondEvents) expect(e.data).toEqual({ from: first.get(e.customer_id) ?? null, to: second.get(e.customer_id) });
  const states2 = await states();
  expect(new Map([...states2].map(([id, s]) => [id, s.stage]))).toEqual(second);
  for (const [id, s] of states2) {
    if (changed.includes(id)) expect(s.changedAt).toBeGreaterThan(states1.get(id)!.changedAt);
    else expect(s.changedAt).toBe(states1.get(id)!.changedAt);
  }

  // Same as-of again: nothing changes, nothing is announced.
  mark = await maxEventId();
  await recompute(new Date(Date.now() - 5 * DAY));
  expect(await announcedSince(mark)).toEqual([]);

  // The swapped-in table carries the triggers: a direct write still announces its stage change.
  const [someone] = [...second.keys()].sort();
  const to = second.get(someone) === 'lapsed' ? 'active' : 'lapsed';
  mark = await maxEventId();
  await app.sql('update customer_metrics set lifecycle_stage = ? where customer_id = ?', [to, someone]);
  expect(await announcedSince(mark)).toEqual([{ customer_id: someone, data: { from: second.get(someone), to } }]);
  expect((await states()).get(someone)!.stage).toBe(to);
});

it('refuses to swap out a table with row-level security, and leaves the metrics as they were', async () => {
  const before = await app.sql('select * from customer_metrics order by customer_id');
  await app.sql('alter table customer_metrics enable row level security');
  try {
    await expect(runAnalytics(app.orm.em.fork() as EntityManager, { asOf: new Date(Date.now() - 100 * DAY) }))
      .rejects.toThrow(/row-level security/);
    expect(await app.sql('select * from customer_metrics order by customer_id')).toEqual(before);
  } finally {
    await app.sql('alter table customer_metrics disable row level security');
  }
});
