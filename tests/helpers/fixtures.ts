import type { TestApp } from './test-server';
import { UpsertCustomerDocument, UpsertProductDocument } from '../generated/graphql';

let counter = 0;

/** The data of a response that must have succeeded; its errors, if any, fail the test with their text. */
export async function ok<T = any>(p: Promise<{ data?: unknown; errors?: unknown }>): Promise<T> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await p;
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data as T;
}

/** A customer created through the API (so fixtures exercise the same path as clients). */
export async function makeCustomer(app: TestApp, overrides: Record<string, unknown> = {}) {
  counter++;
  const res = await app.gql(UpsertCustomerDocument, {
    input: { email: `person.${counter}.${Date.now()}@example.com`, firstName: 'Test', lastName: `Person${counter}`, ...overrides },
  });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!.upsertCustomer.customer;
}

export async function makeProduct(app: TestApp, overrides: Record<string, unknown> = {}) {
  counter++;
  const res = await app.gql(UpsertProductDocument, {
    input: { sku: `SKU-${counter}-${Date.now()}`, name: `Product ${counter}`, category: 'books', priceMinor: 1250, currency: 'EUR', ...overrides },
  });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!.upsertProduct;
}

/** Row counts of every table: compared before and after a rejected write. */
export async function tableCounts(app: TestApp): Promise<Record<string, number>> {
  const rows = await app.sql<{ t: string; n: string }>(
    `select 'customers' t, count(*) n from customers union all select 'identities', count(*) from identities
     union all select 'products', count(*) from products union all select 'orders', count(*) from orders
     union all select 'order_lines', count(*) from order_lines union all select 'interactions', count(*) from interactions
     union all select 'feedback', count(*) from feedback union all select 'consent_records', count(*) from consent_records`,
  );
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
}

/** A digest of every row of every table: proves a rejected write changed nothing at all, not just counts. */
export async function databaseDigest(app: TestApp): Promise<string> {
  const rows = await app.sql<{ d: string }>(
    `select md5(string_agg(x, '|' order by x)) d from (
       select 'c' || c::text x from customers c union all select 'i' || i::text from identities i
       union all select 'p' || p::text from products p union all select 'o' || o::text from orders o
       union all select 'l' || l::text from order_lines l union all select 'n' || n::text from interactions n
       union all select 'f' || f::text from feedback f union all select 'r' || r::text from consent_records r
       union all select 's' || g::text from segments g union all select 'm' || sm::text from segment_memberships sm
       union all select 'k' || (k.id, k.name, k.scopes, k.revoked_at, k.expires_at)::text from api_keys k union all select 'x' || cm::text from customer_metrics cm
       union all select 'e' || (e.source, e.idempotency_key, e.content_hash, e.result)::text from ingest_events e) s`,
  );
  return rows[0].d ?? 'empty';
}
