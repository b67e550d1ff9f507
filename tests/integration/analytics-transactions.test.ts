/**
 * The per-customer transaction summary (src/analytics/transactions.ts) is computed from one sort of the
 * orders with running windows. Here it is compared, row for row, with its definition written the plain
 * way — group the orders by (customer, currency, calendar day), then by (customer, currency), keep each
 * customer's main currency — on orders made to hit the edges: several orders a day, days with only
 * returned or cancelled orders, an order before any kept one, two currencies, ties in time, the cutoff,
 * and a time zone whose clock goes back (a local hour repeats, the day must not).
 */
import { startTestApp, type TestApp } from '../helpers/test-server';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createTransactionSummary } from '../../src/analytics/transactions';

let app: TestApp;

/** The definition: two groupings (what the summary computed before it was rewritten as one sort). */
const REFERENCE = `
  select distinct on (customer_id) customer_id, currency, orders, first_at as first_order_at, last_order_at, value_minor, returned_minor,
         days, first_at, last_at, first_value, cal_days, cal_last_at
  from (select customer_id, currency, sum(n)::int as orders, max(last_order) as last_order_at,
               sum(value)::bigint as value_minor, sum(returned)::bigint as returned_minor,
               count(at)::int as days, min(at) as first_at, max(at) as last_at,
               (min(array[day - date '2000-01-01', value]) filter (where at is not null))[2]::float8 as first_value,
               count(at) filter (where at <= $1)::int as cal_days, max(at) filter (where at <= $1) as cal_last_at
        from (select customer_id, currency, (placed_at at time zone $2)::date as day,
                     count(*) filter (where kept) as n, min(placed_at) filter (where kept) as at,
                     max(placed_at) filter (where kept) as last_order,
                     coalesce(sum(total_minor) filter (where kept), 0) as value,
                     coalesce(sum(total_minor) filter (where status = 'returned'), 0) as returned
              from (select *, status not in ('cancelled', 'returned') as kept from orders where placed_at <= $3) o
              group by 1, 2, 3) per_day
        group by 1, 2) per_currency
  where orders > 0
  order by customer_id, orders desc, currency`;

const COLUMNS = 'customer_id, currency, orders, first_order_at, last_order_at, value_minor, returned_minor, days, first_at, last_at, first_value, cal_days, cal_last_at';

beforeAll(async () => {
  app = await startTestApp();
  await app.sql('truncate orders cascade');
  // [customer, placed_at (UTC), status, currency, total]
  const orders: Array<[number, string, string, string, number]> = [
    // several orders a day, a returned and a cancelled one on a kept day, a day with only a returned order
    [1, '2025-03-01T09:00:00Z', 'delivered', 'EUR', 1000], [1, '2025-03-01T18:00:00Z', 'delivered', 'EUR', 500],
    [1, '2025-03-01T12:00:00Z', 'returned', 'EUR', 300], [1, '2025-03-05T10:00:00Z', 'returned', 'EUR', 700],
    [1, '2025-03-09T10:00:00Z', 'cancelled', 'EUR', 200], [1, '2025-03-09T11:00:00Z', 'delivered', 'EUR', 900],
    [1, '2025-07-01T10:00:00Z', 'delivered', 'EUR', 100], [1, '2025-07-01T10:00:00Z', 'delivered', 'EUR', 50],
    // a returned order before any kept one; the first kept day has two orders
    [2, '2025-01-10T10:00:00Z', 'returned', 'USD', 4000], [2, '2025-02-10T23:30:00Z', 'delivered', 'USD', 250],
    [2, '2025-02-10T23:45:00Z', 'delivered', 'USD', 750], [2, '2025-08-10T08:00:00Z', 'delivered', 'USD', 10],
    // two currencies: the one with more kept orders is the customer's
    [3, '2025-04-01T10:00:00Z', 'delivered', 'EUR', 100], [3, '2025-04-02T10:00:00Z', 'delivered', 'GBP', 200],
    [3, '2025-04-03T10:00:00Z', 'delivered', 'GBP', 300], [3, '2025-04-04T10:00:00Z', 'returned', 'EUR', 999],
    // only returned and cancelled orders: no row
    [4, '2025-05-01T10:00:00Z', 'returned', 'EUR', 100], [4, '2025-05-02T10:00:00Z', 'cancelled', 'EUR', 100],
    // around Europe/Berlin's clock change (2025-10-26 03:00 CEST → 02:00 CET) and around UTC midnight
    [5, '2025-10-25T22:30:00Z', 'delivered', 'EUR', 11], [5, '2025-10-26T00:30:00Z', 'delivered', 'EUR', 12],
    [5, '2025-10-26T01:30:00Z', 'delivered', 'EUR', 13], [5, '2025-10-26T23:30:00Z', 'delivered', 'EUR', 14],
    // after the end: ignored
    [5, '2026-02-01T10:00:00Z', 'delivered', 'EUR', 10_000],
  ];
  const ids = new Map<number, string>();
  for (const c of new Set(orders.map((o) => o[0]))) {
    const [row] = await app.sql<{ id: string }>(
      `insert into customers (id, email, created_at, first_seen_at, last_seen_at) values (gen_random_uuid(), ?, now(), now(), now()) returning id`,
      [`tx-summary-${c}-${process.pid}@example.com`],
    );
    ids.set(c, row.id);
  }
  for (const [c, at, status, currency, total] of orders) {
    await app.sql(
      `insert into orders (customer_id, source, placed_at, channel, status, currency, subtotal_minor, discount_minor, total_minor, created_at)
       values (?, 'test', ?, 'web', ?, ?, ?, 0, ?, now())`,
      [ids.get(c), at, status, currency, total, total],
    );
  }
});

afterAll(async () => {
  await app.close();
});

it('equals its two-grouping definition for every customer, in UTC and in a time zone whose clock goes back', async () => {
  const end = new Date('2026-01-01T00:00:00Z');
  for (const [timeZone, cutoff] of [['UTC', '2025-07-01T10:00:00Z'], ['Europe/Berlin', '2025-10-26T00:30:00Z'], ['America/Los_Angeles', '2025-03-01T12:00:00Z']] as const) {
    const [got, want] = await app.orm.em.fork().transactional(async (em: EntityManager) => {
      await createTransactionSummary(em, 't_summary', { end, cutoff: new Date(cutoff), timeZone });
      const rows = await em.execute(`select ${COLUMNS} from t_summary order by customer_id`);
      const conn = em.getConnection();
      const ref = await conn.execute(`select ${COLUMNS} from (${REFERENCE.replace(/\$1/g, '?::timestamptz').replace('$2', '?').replace('$3', '?::timestamptz')}) r order by customer_id`,
        [cutoff, cutoff, timeZone, end.toISOString()]);
      return [rows, ref];
    });
    expect({ timeZone, rows: got }).toEqual({ timeZone, rows: want });
    expect(got).toHaveLength(4);
  }
});

it('counts calendar days: several orders are one transaction at the first one, worth their total', async () => {
  const rows = await app.orm.em.fork().transactional(async (em: EntityManager) => {
    await createTransactionSummary(em, 't_summary', { end: new Date('2026-01-01T00:00:00Z'), cutoff: new Date('2025-05-01T00:00:00Z'), timeZone: 'UTC' });
    return em.execute<Array<Record<string, unknown> & { email: string; first_at: Date; last_at: Date; cal_last_at: Date }>>(
      `select t.*, c.email from t_summary t join customers c on c.id = t.customer_id order by c.email`);
  });
  const of = (c: number) => rows.find((r) => r.email.startsWith(`tx-summary-${c}-`));
  const one = of(1)!;
  // Kept orders on 03-01 (two), 03-09 (one), 07-01 (two at the same instant): three days, x = 2.
  expect(one).toMatchObject({ currency: 'EUR', orders: 5, days: 3, value_minor: '2550', returned_minor: '1000', first_value: 1500, cal_days: 2 });
  expect(new Date(one.first_at).toISOString()).toBe('2025-03-01T09:00:00.000Z');
  expect(new Date(one.last_at).toISOString()).toBe('2025-07-01T10:00:00.000Z');
  expect(new Date(one.cal_last_at).toISOString()).toBe('2025-03-09T11:00:00.000Z');
  const two = of(2);
  // The returned order before is no transaction; the first day is worth both of its orders.
  expect(two).toMatchObject({ currency: 'USD', orders: 3, days: 2, first_value: 1000, returned_minor: '4000' });
  expect(of(3)).toMatchObject({ currency: 'GBP', orders: 2, days: 2 });
  expect(of(4)).toBeUndefined();
});
