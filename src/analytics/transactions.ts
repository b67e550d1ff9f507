import type { EntityManager } from '@mikro-orm/postgresql';

/** Seconds per week: model time is continuous, in weeks (fractions included). */
export const WEEK_SECONDS = 604_800;

/** Order statuses that do not count as purchases. */
export const NOT_KEPT = `('cancelled', 'returned')`;

/**
 * Creates the temp table `name` (dropped on commit): one row per customer with at least one kept order
 * placed at or before `end`, in the customer's main currency (the one most orders used).
 *
 * Transactions are CALENDAR DAYS in `timeZone`: several orders on one day are one transaction for the
 * models (the literature's preparation; a basket split into two orders is not two purchase decisions),
 * placed at the time of the day's first order and worth the day's total. Columns:
 *   orders, first_order_at, last_order_at, value_minor, returned_minor — per ORDER, for display and RFM;
 *   days, first_at, last_at — transaction days and the times of the first and last (x = days − 1);
 *   first_value — the first transaction's value (Gamma-Gamma averages the repeat ones only);
 *   cal_days, cal_last_at — the same counted up to `cutoff` (calibration period).
 * One grouping pass over the orders by (customer, currency, day), then one by customer.
 */
export async function createTransactionSummary(em: EntityManager, name: string, o: { end: Date; cutoff: Date; timeZone: string }): Promise<void> {
  await em.execute(
    `create temp table ${name} on commit drop as
     select distinct on (customer_id) customer_id, currency, orders, first_at as first_order_at, last_order_at, value_minor, returned_minor,
            days, first_at, last_at, first_value, cal_days, cal_last_at
     from (select customer_id, currency,
                  sum(n)::int as orders, max(last_order) as last_order_at,
                  sum(value)::bigint as value_minor, sum(returned)::bigint as returned_minor,
                  -- A day's at is null when it kept no order: count(at) counts the transaction days. The first
                  -- order overall is the first transaction's (first_order_at = first_at).
                  count(at)::int as days, min(at) as first_at, max(at) as last_at,
                  -- Arrays compare element by element: the smallest [day, value] is the first transaction's
                  -- (integers: no per-row conversion to float or numeric).
                  (min(array[day - date '2000-01-01', value]) filter (where at is not null))[2]::float8 as first_value,
                  count(at) filter (where at <= ?)::int as cal_days, max(at) filter (where at <= ?) as cal_last_at
           from (select customer_id, currency, (placed_at at time zone ?)::date as day,
                        count(*) filter (where kept) as n,
                        min(placed_at) filter (where kept) as at,
                        max(placed_at) filter (where kept) as last_order,
                        coalesce(sum(total_minor) filter (where kept), 0) as value,
                        coalesce(sum(total_minor) filter (where status = 'returned'), 0) as returned
                 -- (offset 0 keeps the subquery: whether an order is kept is evaluated once per order, not per aggregate)
                 from (select customer_id, currency, placed_at, status, total_minor, status not in ${NOT_KEPT} as kept
                       from orders where placed_at <= ? offset 0) o
                 group by 1, 2, 3) per_day
           group by 1, 2) per_currency
     where orders > 0
     order by customer_id, orders desc, currency`,
    [o.cutoff, o.cutoff, o.timeZone, o.end],
  );
  await em.execute(`alter table ${name} add primary key (customer_id)`);
  await em.execute(`analyze ${name}`);
}

/** Model inputs of one customer, in weeks: calibration-period and full-period summaries. */
export interface SummaryRow {
  x: number;
  tx: number;
  t: number;
  x_cal: number | null;
  tx_cal: number | null;
  t_cal: number | null;
}

/**
 * (x, t_x, T) in weeks at `end` and at `cutoff` (null when first bought after it) for up to `limit`
 * customers of `table`, a deterministic sample (by a hash of the id) so that reruns fit the same data.
 */
export async function loadSummaries(em: EntityManager, table: string, o: { end: Date; cutoff: Date; limit: number }): Promise<SummaryRow[]> {
  const rows: SummaryRow[] = await em.execute(
    `select days - 1 as x, extract(epoch from last_at - first_at) / ${WEEK_SECONDS} as tx,
            extract(epoch from ?::timestamptz - first_at) / ${WEEK_SECONDS} as t,
            case when first_at < ? then cal_days - 1 end as x_cal,
            case when first_at < ? then extract(epoch from cal_last_at - first_at) / ${WEEK_SECONDS} end as tx_cal,
            case when first_at < ? then extract(epoch from ?::timestamptz - first_at) / ${WEEK_SECONDS} end as t_cal
     from ${table} where first_at < ? order by hashtext(customer_id::text), customer_id limit ?`,
    [o.end, o.cutoff, o.cutoff, o.cutoff, o.cutoff, o.end, o.limit],
  );
  return rows.map((r) => ({
    x: Number(r.x), tx: Number(r.tx), t: Number(r.t),
    x_cal: r.x_cal == null ? null : Number(r.x_cal), tx_cal: r.tx_cal == null ? null : Number(r.tx_cal), t_cal: r.t_cal == null ? null : Number(r.t_cal),
  }));
}
