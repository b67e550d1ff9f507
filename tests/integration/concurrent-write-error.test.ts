import { Client } from 'pg';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { toGlobalId } from '../../src/schema/global-id';

/**
 * A write that PostgreSQL aborts for a deadlock (40P01) answers CONFLICT with reason CONCURRENT_WRITE
 * and `retryable: true`, not INTERNAL_SERVER_ERROR (which says "a bug"), and leaves nothing written.
 * The deadlock is made, not hoped for: another session locks the merge's second customer row, waits
 * until the merge (which locks both rows in id order) waits on it, then asks for the first one.
 * That session's deadlock_timeout is longer, so PostgreSQL's check runs in the merge's backend first
 * and aborts the merge.
 */
let app: TestApp;
let other: Client;

beforeAll(async () => {
  app = await startTestApp();
  other = new Client({ connectionString: app.config.databaseUrl });
  await other.connect();
});
afterAll(async () => {
  await other.end();
  await app.close();
});

const MERGE = `mutation($input: MergeCustomersInput!) { mergeCustomers(input: $input) { merge { id } } }`;

it('a deadlocked merge answers CONFLICT / CONCURRENT_WRITE, retryable, and a retry succeeds', async () => {
  const rows = await app.sql<{ id: string }>(
    `insert into customers (id, email, first_name, status, created_at, updated_at)
     values (gen_random_uuid(), 'dl-a@example.com', 'A', 'active', now(), now()),
            (gen_random_uuid(), 'dl-b@example.com', 'B', 'active', now(), now())
     returning id`,
  );
  const [first, second] = rows.map((r) => r.id).sort();

  await other.query(`set deadlock_timeout = '30s'`);
  await other.query('begin');
  await other.query('select 1 from customers where id = $1 for update', [second]);

  const merging = app.gql(MERGE, { input: { survivorId: toGlobalId('Customer', first), loserId: toGlobalId('Customer', second), reason: 'deadlock test' } });
  // Wait until the merge holds the first row and waits for the second.
  const watcher = new Client({ connectionString: app.config.databaseUrl });
  await watcher.connect();
  for (let i = 0; ; i++) {
    const { rows: [w] } = await watcher.query<{ n: string }>(
      `select count(*) as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database() and query ilike '%for update%'`,
    );
    if (Number(w.n) > 0) break;
    if (i > 600) throw new Error('the merge never waited on the locked row');
    await new Promise((r) => setTimeout(r, 50));
  }
  const waiting = other.query('select 1 from customers where id = $1 for update', [first]);
  const res = await merging;
  await waiting;
  await other.query('rollback');
  await watcher.end();

  expect(res.data ?? null).toBeNull();
  expect(res.errors).toHaveLength(1);
  expect(res.errors![0].extensions).toEqual({ code: 'CONFLICT', reason: 'CONCURRENT_WRITE', retryable: true });
  expect(res.errors![0].message).not.toMatch(/deadlock|customers|select/i);
  const after = await other.query<{ status: string }>('select status from customers where id = any($1::uuid[]) order by id', [[first, second]]);
  expect(after.rows.map((r) => r.status)).toEqual(['active', 'active']);
  expect((await other.query('select 1 from customer_merges where survivor_id = $1', [first])).rows).toEqual([]);

  const retry = await app.gql(MERGE, { input: { survivorId: toGlobalId('Customer', first), loserId: toGlobalId('Customer', second), reason: 'deadlock test' } });
  expect(retry.errors).toBeUndefined();
  expect(retry.data!.mergeCustomers.merge.id).toEqual(expect.any(String));
}, 60_000);
