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
 * The orders are read in (customer, currency, time) order: orders_customer_placed_at_idx gives them by
 * (customer, time) with currency, status and total_minor included (an index-only scan), and an incremental
 * sort orders each customer's few orders by currency (Migration20261207010000; a full sort of every order
 * on disk took half of this statement). One running window over the earlier orders of the (customer,
 * currency) serves everything: the first kept order of each calendar day is the one whose day is later
 * than every earlier kept order's (the day is monotone in time, and a day repeated across a time-zone
 * shift back is no new day, as grouping by day had it), which carries the day's time; the first day's
 * orders are those whose day is not later than the earliest earlier kept day (the running minimum with
 * the row itself, computed over the same frame so that one window pass does both). The per-(customer,
 * currency) aggregate then reads the ordered rows without a hash table. This replaced a grouping by
 * (customer, currency, day) and then by (customer, currency), whose first hash table held nearly a row
 * per order: the same result (compared row for row on 100,000 bench customers) at about half the
 * database's CPU; the index and the single window halved it again (1,000,000 customers, 9.2M orders:
 * 20.2 → 10.5 s, the same 979,262 rows).
 */
export async function createTransactionSummary(em: EntityManager, name: string, o: { end: Date; cutoff: Date; timeZone: string }): Promise<void> {
  await em.execute(
    `create temp table ${name} on commit drop as
     select distinct on (customer_id) customer_id, currency, orders, first_at as first_order_at, last_order_at, value_minor, returned_minor,
            days, first_at, last_at, first_value, cal_days, cal_last_at
     from (select customer_id, currency,
                  count(*) filter (where kept)::int as orders, max(placed_at) filter (where kept) as last_order_at,
                  coalesce(sum(total_minor) filter (where kept), 0)::bigint as value_minor,
                  coalesce(sum(total_minor) filter (where returned), 0)::bigint as returned_minor,
                  -- A transaction day is at its first kept order (new_day). The first order overall is the
                  -- first transaction's (first_order_at = first_at).
                  count(*) filter (where new_day)::int as days, min(placed_at) filter (where kept) as first_at,
                  max(placed_at) filter (where new_day) as last_at,
                  -- (the minimum of the earlier kept days and this order's: least() skips the null of none)
                  sum(total_minor) filter (where kept and day = least(earlier_first_day, day))::float8 as first_value,
                  count(*) filter (where new_day and placed_at <= ?)::int as cal_days,
                  max(placed_at) filter (where new_day and placed_at <= ?) as cal_last_at
           from (select *, kept and (prev_day is null or day > prev_day) as new_day
                 from (select customer_id, currency, placed_at, returned, total_minor, kept, day,
                              -- the latest and the earliest day of the earlier kept orders (one frame: one window pass)
                              max(day) filter (where kept) over earlier as prev_day,
                              min(day) filter (where kept) over earlier as earlier_first_day
                       -- (offset 0 keeps the subquery: whether an order is kept, and its day, are evaluated once per order)
                       -- (the status as two flags: the sort's rows carry a byte each instead of the text)
                       from (select customer_id, currency, placed_at, status = 'returned' as returned, total_minor, status not in ${NOT_KEPT} as kept,
                                    (placed_at at time zone ?)::date as day
                             -- (the order by lets the planner take the index's customer order and sort within each customer)
                             from orders where placed_at <= ? order by customer_id, currency, placed_at offset 0) o
                       window earlier as (partition by customer_id, currency order by placed_at rows between unbounded preceding and 1 preceding)) w) d
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
