import { Client } from 'pg';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { seedDemoData } from '../../src/cli/seed';
import { toGlobalId } from '../../src/schema/global-id';

/**
 * The Citus plan of README "Scaling out", checked so it cannot silently rot: every table that holds
 * a customer's rows carries `customer_id` (the distribution column), and every statement that reads
 * such a table on behalf of one customer filters on it, so that it can be routed to one shard.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
  await seedDemoData(app.orm, { customers: 40, seed: 11 });
});
afterAll(async () => {
  await app?.close();
});

/**
 * Tables that reference a customer but are not distributed by one, each with its reason. A table
 * added later that references customers must either carry customer_id or be argued for here.
 */
const NOT_DISTRIBUTED: Record<string, string> = {
  customer_merges: 'the ledger of merges between two customers: kept on the coordinator (reference-like, small)',
  audit_log: 'append-only log of who read or changed what: kept on the coordinator, written once per request',
  api_keys: 'partner credentials: not customer rows',
};

async function customerOwnedTables(): Promise<{ owned: string[]; withoutColumn: string[] }> {
  // Every table that references customers(id), directly or through a chain of foreign keys.
  const edges = await app.sql<{ child: string; parent: string }>(
    `select distinct tc.relname as child, pc.relname as parent
       from pg_constraint c
       join pg_class tc on tc.oid = c.conrelid
       join pg_class pc on pc.oid = c.confrelid
       join pg_namespace n on n.oid = tc.relnamespace and n.nspname = 'public'
      where c.contype = 'f' and tc.relname <> pc.relname`,
  );
  const owned = new Set<string>(['customers']);
  for (let grew = true; grew; ) {
    grew = false;
    for (const e of edges) if (owned.has(e.parent) && !owned.has(e.child) && !NOT_DISTRIBUTED[e.child]) (owned.add(e.child), (grew = true));
  }
  owned.delete('customers'); // distributed on its own id
  const cols = await app.sql<{ table_name: string }>(
    `select table_name from information_schema.columns where table_schema = 'public' and column_name = 'customer_id'`,
  );
  const have = new Set(cols.map((c) => c.table_name));
  // Tables with customer_id but no foreign key (set-based tables written by the analytics run) count too.
  for (const t of have) if (!NOT_DISTRIBUTED[t]) owned.add(t);
  const list = [...owned].sort();
  return { owned: list, withoutColumn: list.filter((t) => !have.has(t)) };
}

it('gives every customer-owned table a customer_id column', async () => {
  const { owned, withoutColumn } = await customerOwnedTables();
  expect(owned).toEqual(expect.arrayContaining(['identities', 'orders', 'order_lines', 'interactions', 'feedback', 'consent_records', 'customer_metrics']));
  expect(withoutColumn).toEqual([]);
});

it('filters every per-customer read of a customer-owned table on customer_id', async () => {
  const { owned } = await customerOwnedTables();
  const [{ id }] = await app.sql<{ id: string }>(
    `select c.id from customers c where c.status = 'active' and exists (select 1 from orders o where o.customer_id = c.id)
      and exists (select 1 from feedback f where f.customer_id = c.id) order by c.id limit 1`,
  );
  const statements: string[] = [];
  const original = Client.prototype.query;
  Client.prototype.query = function capture(this: Client, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string })?.text;
    if (text) statements.push(text);
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof Client.prototype.query;
  try {
    const query = `query($id: ID!) { customer(id: $id) {
      id email identities { kind value } value { frequency } merges { id } preferences { stated { __typename } } provenance { field }
      orders(first: 5) { totalCount nodes { id lines { quantity product { sku } } } }
      interactions(first: 5) { totalCount nodes { id type } }
      feedback(first: 5) { totalCount nodes { id kind } }
      consents { current { purpose status } history(first: 5) { totalCount nodes { purpose } } }
      timeline(first: 10) { nodes { __typename } }
    } }`;
    const res = await app.gql(query, { id: toGlobalId('Customer', id) });
    expect(res.errors).toBeUndefined();
    expect(res.data.customer.orders.nodes.length).toBeGreaterThan(0);
  } finally {
    Client.prototype.query = original;
  }
  const reads = statements.filter((s) => /^\s*(with|select)\b/i.test(s));
  const offending = reads.filter((s) => {
    const tables = owned.filter((t) => new RegExp(`\\b(from|join)\\s+"?${t}"?\\b`, 'i').test(s));
    return tables.length > 0 && !/\bcustomer_id\b/i.test(s);
  });
  expect(reads.length).toBeGreaterThan(5);
  expect(offending).toEqual([]);
});
