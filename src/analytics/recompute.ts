import type { EntityManager } from '@mikro-orm/postgresql';
import * as models from './models';

export const MODEL_VERSION = 'rfm-q5+bgnbd+gg/1';

export interface RecomputeOptions {
  /** The instant metrics are computed as of (default: now). */
  asOf?: Date;
  /** CLV horizon in months and monthly discount rate. */
  horizonMonths?: number;
  monthlyDiscountRate?: number;
  /** Gamma-Gamma is fitted on at most this many repeat customers (a deterministic sample). */
  spendSampleSize?: number;
  log?: (msg: string, data?: Record<string, unknown>) => void;
}

export interface RecomputeSummary {
  customers: number;
  withOrders: number;
  modelGroups: number;
  bgNbd: { r: number; alpha: number; a: number; b: number } | null;
  gammaGamma: { p: number; q: number; v: number } | null;
  timingsMs: Record<string, number>;
}

const WEEK_DAYS = 7;

/**
 * Groups are whole weeks (floored in SQL, so equal customers share a group); the model sees each
 * bucket's midpoint, since flooring biased alpha by -7 % and r by -2.5 % on a 1M-customer simulation.
 */
const tWeeks = (g: { t: number; tx: number }) => Math.max(g.t, g.tx) + 0.5;
const txWeeks = (g: { x: number; tx: number }) => (g.x > 0 ? g.tx + 0.5 : 0);

/**
 * Recomputes customer_metrics for every customer, set-based: one aggregate pass over orders,
 * BG/NBD fitted on the distinct (x, t_x, T) groups (whole weeks), Gamma-Gamma on a deterministic
 * sample of repeat customers, predictions per group joined back in SQL, then one INSERT … SELECT
 * with the RFM window functions. Runs in one transaction: readers see the old metrics or the new.
 */
export async function recomputeMetrics(rootEm: EntityManager, opts: RecomputeOptions = {}): Promise<RecomputeSummary> {
  const asOf = opts.asOf ?? new Date();
  const horizon = opts.horizonMonths ?? 12;
  const discount = opts.monthlyDiscountRate ?? 0.01;
  const log = opts.log ?? (() => {});
  const timings: Record<string, number> = {};
  const time = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    try {
      return await fn();
    } finally {
      timings[name] = Date.now() - t0;
    }
  };

  return rootEm.fork().transactional(async (em: EntityManager) => {
    // A bulk job: generous sort memory, and no per-statement timeout (that guards interactive requests).
    await em.execute(`set local work_mem = '256MB'`);
    await em.execute(`set local statement_timeout = 0`);
    // 1. One pass over orders: per customer and currency (kept orders, and returned value for the
    // below-zero tier), then the customer's main currency.
    await time('aggregate', () =>
      em.execute(
        `create temp table m_base on commit drop as
         select distinct on (customer_id) customer_id, currency, orders, first_at, last_at, value_minor, returned_minor
         from (select customer_id, currency,
                      count(*) filter (where status not in ('cancelled', 'returned'))::int as orders,
                      min(placed_at) filter (where status not in ('cancelled', 'returned')) as first_at,
                      max(placed_at) filter (where status not in ('cancelled', 'returned')) as last_at,
                      coalesce(sum(total_minor) filter (where status not in ('cancelled', 'returned')), 0)::bigint as value_minor,
                      coalesce(sum(total_minor) filter (where status = 'returned'), 0)::bigint as returned_minor
               from orders where placed_at <= ?
               group by customer_id, currency) per_currency
         where orders > 0
         order by customer_id, orders desc, currency`,
        [asOf],
      ),
    );
    await em.execute(`alter table m_base add primary key (customer_id)`);
    await em.execute(`analyze m_base`);

    // 2. BG/NBD inputs in whole weeks: x = repeat orders, t_x = last − first, T = asOf − first.
    const groups: Array<{ x: number; tx: number; t: number; n: string }> = await time('groups', () =>
      em.execute(
        `select orders - 1 as x, floor(extract(epoch from last_at - first_at) / 86400 / ${WEEK_DAYS})::int as tx,
                floor(extract(epoch from ?::timestamptz - first_at) / 86400 / ${WEEK_DAYS})::int as t, count(*) as n
         from m_base group by 1, 2, 3`,
        [asOf],
      ),
    );
    const withOrders = groups.reduce((s, g) => s + Number(g.n), 0);
    let bg: models.BgNbdParams | null = null;
    let gg: models.GammaGammaParams | null = null;
    // A fit needs repeat buyers; a brand-new shop gets RFM only.
    if (groups.some((g) => g.x > 0) && withOrders >= 20) {
      bg = await time('fitBgNbd', async () => {
        const data = {
          x: Float64Array.from(groups, (g) => g.x),
          tx: Float64Array.from(groups, (g) => txWeeks(g)),
          T: Float64Array.from(groups, (g) => tWeeks(g)),
          weights: Float64Array.from(groups, (g) => Number(g.n)),
        };
        return models.fitBgNbd(data).params;
      });
      const sample: Array<{ x: number; mx: number }> = await em.execute(
        // x is the number of orders in the average m_x (all of them), as the model requires.
        `select orders as x, (value_minor::float8 / orders) as mx from m_base
         where orders > 1 and value_minor > 0 order by hashtext(customer_id::text) limit ?`,
        [opts.spendSampleSize ?? 200_000],
      );
      if (sample.length >= 20) {
        gg = await time('fitGammaGamma', async () =>
          models.fitGammaGamma({ x: Float64Array.from(sample, (s) => s.x), mx: Float64Array.from(sample, (s) => s.mx) }).params,
        );
      }
    }

    // 3. Predictions per group (E[purchases], P(alive), discounted purchases over the horizon), joined back in SQL.
    await em.execute(`create temp table m_pred (x int, tx int, t int, purchases12m float8, p_alive float8, discounted float8) on commit drop`);
    if (bg) {
      const params = bg;
      await time('predict', async () => {
        const rows = groups.map((g) => {
          const T = tWeeks(g);
          const tx = txWeeks(g);
          return {
            x: g.x, tx: g.tx, t: g.t,
            purchases12m: models.bgNbdExpectedPurchases(params, 12 * models.WEEKS_PER_MONTH, g.x, tx, T),
            p_alive: models.bgNbdProbabilityAlive(params, g.x, tx, T),
            discounted: models.discountedExpectedPurchases(params, g.x, tx, T, { horizonMonths: horizon, monthlyDiscountRate: discount }),
          };
        });
        for (let i = 0; i < rows.length; i += 20_000) {
          await em.execute(
            `insert into m_pred select * from jsonb_to_recordset(?::jsonb) as r(x int, tx int, t int, "purchases12m" float8, p_alive float8, discounted float8)`,
            [JSON.stringify(rows.slice(i, i + 20_000))],
          );
        }
      });
      await em.execute(`alter table m_pred add primary key (x, tx, t)`);
    }

    // 4. Everything else in one statement. Engagement compares the last 30 days of interactions with
    // the 60 before (per 30 days); negative feedback = complaints, NPS ≤ 6, CSAT/review ≤ 2 in 90 days.
    // Tiers (Peppers & Rogers) rank by CLV in the same statement: most valuable = top fifth; below zero =
    // returned at least what they kept; most growable = bottom half but likely alive and engaged.
    const ggp = gg ?? { p: 0, q: 0, v: 0 };
    await em.execute(`delete from customer_metrics`);
    const inserted: Array<{ n: string }> = await time('insert', () =>
      em.execute(
        `with eng as (
           select customer_id, case when before = 0 then 0 else greatest(0, least(1, 1 - recent / before)) end as decline
           from (select customer_id,
                        count(*) filter (where occurred_at > ?::timestamptz - interval '30 days') as recent,
                        count(*) filter (where occurred_at <= ?::timestamptz - interval '30 days') / 2.0 as before
                 from interactions where occurred_at > ?::timestamptz - interval '90 days' and occurred_at <= ?
                 group by customer_id) counts),
         neg as (
           select customer_id, count(*)::int as n from feedback
           where submitted_at > ?::timestamptz - interval '90 days' and submitted_at <= ?
             and (kind = 'complaint' or (kind = 'nps' and score <= 6) or (kind in ('csat', 'review') and score <= 2))
           group by customer_id),
         scored as (
           select b.*, p.purchases12m, p.p_alive, p.discounted,
                  extract(epoch from ?::timestamptz - b.last_at) / 86400 as recency_days,
                  -- Quintile scores; ties share a score (rank-based, so equal values never straddle a boundary).
                  least(5, 1 + floor(5.0 * (rank() over (order by b.last_at) - 1) / count(*) over ()))::smallint as r_score,
                  least(5, 1 + floor(5.0 * (rank() over (order by b.orders) - 1) / count(*) over ()))::smallint as f_score,
                  least(5, 1 + floor(5.0 * (rank() over (order by b.value_minor / b.orders) - 1) / count(*) over ()))::smallint as m_score
           from m_base b left join m_pred p
             on p.x = b.orders - 1 and p.tx = floor(extract(epoch from b.last_at - b.first_at) / 86400 / ${WEEK_DAYS})::int
            and p.t = floor(extract(epoch from ?::timestamptz - b.first_at) / 86400 / ${WEEK_DAYS})::int),
         valued as (
           select s.*, e.exp_spend, round(s.discounted * e.exp_spend)::bigint as clv,
                  percent_rank() over (order by coalesce(round(s.discounted * e.exp_spend), 0) desc) as clv_rank,
                  -- Won back: bought in the last 90 days after a gap of 180+. Only recent buyers are looked at,
                  -- through the (customer_id, placed_at) index, instead of a window over every order.
                  (s.last_at > ?::timestamptz - interval '90 days' and s.last_at - (
                     select max(o.placed_at) from orders o where o.customer_id = s.customer_id and o.placed_at < s.last_at
                       and o.status not in ('cancelled', 'returned')) > interval '180 days') as won_back
           from scored s
           cross join lateral (select case when ${gg ? 'true' : 'false'} and ${ggp.q} > 1 then
                    -- Gamma-Gamma conditional expected average order value given the orders so far.
                    (${ggp.p} * (${ggp.v} + s.orders * (s.value_minor::float8 / s.orders))) / (${ggp.p} * s.orders + ${ggp.q} - 1)
                  end as exp_spend) e),
         ins as (insert into customer_metrics (customer_id, computed_at, model_version, currency, orders_count, first_order_at, last_order_at,
           recency_days, frequency, monetary_avg_minor, historic_value_minor, r_score, f_score, m_score, rfm_segment,
           predicted_purchases12m, p_alive, expected_spend_minor, clv12m_minor, engagement_decline, negative_feedback90d,
           churn_risk, value_tier, lifecycle_stage)
         select c.id, ?, ?, v.currency, coalesce(v.orders, 0), v.first_at, v.last_at, floor(v.recency_days)::int,
           greatest(coalesce(v.orders, 0) - 1, 0), (v.value_minor / v.orders), coalesce(v.value_minor, 0),
           v.r_score, v.f_score, v.m_score,
           case when v.customer_id is null then 'Prospect'
                when v.r_score >= 4 and v.f_score >= 4 then 'Champions'
                when v.r_score <= 2 and v.f_score = 5 then 'Can''t Lose Them'
                when v.r_score <= 2 and v.f_score >= 3 then 'At Risk'
                when v.r_score >= 3 and v.f_score >= 3 then 'Loyal'
                when v.r_score = 5 and v.f_score = 1 then 'New Customers'
                when v.r_score >= 4 and v.f_score <= 2 then 'Potential Loyalists'
                when v.r_score = 3 then 'Need Attention'
                when v.r_score = 2 then 'Hibernating'
                else 'Lost' end,
           v.purchases12m, v.p_alive, v.exp_spend, v.clv,
           coalesce(e.decline, 0), coalesce(n.n, 0),
           -- Churn risk: mostly the model's P(dead), then falling engagement and recent unhappiness.
           least(1, greatest(0, 0.6 * (1 - coalesce(v.p_alive, case when v.customer_id is null then 0.5 else 0 end))
                                + 0.25 * coalesce(e.decline, 0) + 0.15 * least(coalesce(n.n, 0), 2) / 2.0)),
           case when v.customer_id is null then 'maintain'
                when v.returned_minor > 0 and v.returned_minor >= v.value_minor then 'below_zero'
                when v.clv_rank < 0.2 then 'most_valuable'
                when v.clv_rank >= 0.5 and coalesce(v.p_alive, 0) >= 0.5 and coalesce(e.decline, 0) < 0.5 then 'most_growable'
                else 'maintain' end,
           case when v.customer_id is null then 'prospect'
                when v.orders = 1 and v.first_at > ?::timestamptz - interval '30 days' then 'new'
                when v.won_back then 'won_back'
                when v.last_at < ?::timestamptz - interval '365 days' or coalesce(v.p_alive, 1) < 0.2 then 'lapsed'
                when coalesce(v.p_alive, 1) < 0.5 or v.last_at < ?::timestamptz - interval '180 days' then 'at_risk'
                else 'active' end
         from customers c
         left join valued v on v.customer_id = c.id
         left join eng e on e.customer_id = c.id
         left join neg n on n.customer_id = c.id
         where c.status = 'active'
         returning 1)
         select count(*) as n from ins`,
        [asOf, asOf, asOf, asOf, asOf, asOf, asOf, asOf, asOf, asOf, MODEL_VERSION, asOf, asOf, asOf],
      ),
    );
    log('metrics recomputed', { timings });
    return { customers: Number(inserted[0].n), withOrders, modelGroups: groups.length, bgNbd: bg, gammaGamma: gg, timingsMs: timings };
  });
}
