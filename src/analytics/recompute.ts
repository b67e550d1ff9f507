import type { EntityManager } from '@mikro-orm/postgresql';
import * as models from './models';
import { keepPreviousStages, recordRunHistory } from './history';
import { createTransactionSummary, loadSummaries, SummaryRow, WEEK_SECONDS } from './transactions';

/** Recorded on every metrics row: which purchase model scored it (chosen per run, see `choosePurchaseModel`). */
export const modelVersion = (model: models.BetaGeoModel | null): string => `rfm-q5+${model ?? 'none'}+gg/2`;

export interface RecomputeOptions {
  /** The instant metrics are computed as of (default: now): orders, interactions and feedback after it are ignored. */
  asOf?: Date;
  /** CLV horizon in months and monthly discount rate. */
  horizonMonths?: number;
  monthlyDiscountRate?: number;
  /** Cost to serve one order, in minor units (margin CLV subtracts it per expected order; default 0). */
  costToServeMinor?: number;
  /** Calendar days (one transaction each) are taken in this IANA time zone (default UTC). */
  timeZone?: string;
  /** Churn risk = P(no purchase in the next this many days) (default 90). */
  churnHorizonDays?: number;
  /** The purchase models are chosen on this many weeks before asOf as the holdout (default 26). */
  holdoutWeeks?: number;
  /**
   * The chosen purchase model is fitted on at most fitSampleSize customers (default 50,000), the choice made on
   * at most choiceSampleSize of them (default 20,000), Gamma-Gamma on at most spendSampleSize repeat buyers
   * (default 200,000); all deterministic samples. With exact times every customer is a distinct row, so
   * the sample bounds the cost of a fit; 50,000 customers put the parameters' sampling error at ~1–5 %.
   */
  fitSampleSize?: number;
  choiceSampleSize?: number;
  spendSampleSize?: number;
  log?: (msg: string, data?: Record<string, unknown>) => void;
}

export interface PurchaseModelSummary {
  model: models.BetaGeoModel;
  params: models.BgNbdParams;
  logLikelihood: number;
  /** The candidates' holdout log-likelihoods that chose it; null when the data were too short to hold any out. */
  candidates: models.CandidateFit[] | null;
}

export interface RecomputeSummary {
  /** The analytics_runs row that keeps this run's figures (src/analytics/history.ts). */
  runId: string;
  customers: number;
  withOrders: number;
  /** Rows of the (x, T-day) prediction grid. */
  modelGroups: number;
  modelVersion: string;
  purchaseModel: PurchaseModelSummary | null;
  gammaGamma: { p: number; q: number; v: number } | null;
  timingsMs: Record<string, number>;
}

const DAY_SECONDS = 86_400;
const MIN_CUSTOMERS = 20;
const columns = (rows: SummaryRow[], cal: boolean): models.BgNbdData => ({
  x: Float64Array.from(rows, (r) => (cal ? r.x_cal! : r.x)),
  tx: Float64Array.from(rows, (r) => (cal ? r.tx_cal! : r.tx)),
  T: Float64Array.from(rows, (r) => (cal ? r.t_cal! : r.t)),
});

/**
 * BG/NBD or MBG/NBD, whichever predicts the holdout better (see models/selection.ts), refitted on the
 * whole sample. The MBG/NBD is the default when there is too little history to hold any out: it is the
 * one that lets one-time buyers lapse.
 */
export function choosePurchaseModel(rows: SummaryRow[], choiceSampleSize = 20_000): PurchaseModelSummary | null {
  if (rows.length < MIN_CUSTOMERS || !rows.some((r) => r.x > 0)) return null;
  // The rows come in hash order, so a prefix is a random subsample: two fits on it suffice to choose.
  const calRows = rows.slice(0, choiceSampleSize).filter((r) => r.x_cal != null && r.t_cal! > 0);
  let choice: models.ModelChoice | null = null;
  if (calRows.length >= MIN_CUSTOMERS && calRows.some((r) => r.x_cal! > 0)) {
    choice = models.chooseBetaGeoModel(columns(calRows, true), columns(calRows, false));
  }
  const model = choice?.model ?? 'mbgnbd';
  const fit = models.fitBetaGeo(model, columns(rows, false));
  return { model, params: fit.params, logLikelihood: fit.logLikelihood, candidates: choice?.candidates ?? null };
}

/** SQL: the quintile score (1–5) of `value` given `cuts`, the array of the four boundaries (see the quintiles CTE). */
const quintileSql = (value: string, cuts: string) =>
  `(1 + (${value} > ${cuts}[1])::int + (${value} > ${cuts}[2])::int + (${value} > ${cuts}[3])::int + (${value} > ${cuts}[4])::int)::smallint`;

/**
 * SQL for P(alive) of the model at (x, t_x, T) given as SQL expressions; exp is clamped (PostgreSQL raises on over/underflow).
 * Exported for tests: a run scores with whichever model its data choose, so each model's SQL is checked directly.
 */
export function pAliveSql(m: PurchaseModelSummary, x: string, tx: string, T: string): string {
  const { r, alpha, a, b } = m.params;
  const s = m.model === 'mbgnbd' ? 1 : 0;
  return `(case when ${x} + ${s} <= 0 then 1.0 else 1.0 / (1.0 + exp(greatest(-700, least(700,
            ln(${a}::float8) - ln(${b}::float8 + ${x} + ${s - 1}) + (${r}::float8 + ${x}) * (ln(${alpha}::float8 + ${T}) - ln(${alpha}::float8 + ${tx})))))) end)`;
}

/** The table a run writes its metrics into, renamed to customer_metrics at the swap (created and dropped in the run's transaction). */
const NEXT = 'customer_metrics_next';

/**
 * What the statement triggers on customer_metrics (rapport_outbox_customer_metrics, Migration20261205200032)
 * do for an insert, done set-based from the new table: one lifecycle.changed outbox event per customer
 * whose stage differs from the one last announced (customer_lifecycle_states), in customer order, and the
 * states brought up to date. The run inserts into a table without the triggers, which would otherwise keep
 * a transition table of every new row and upsert every customer's state; here only changed states are
 * written (an update of the changed, an insert of the new).
 */
async function announceStages(em: EntityManager): Promise<void> {
  await em.execute(
    `insert into outbox_events (type, customer_id, data)
     select 'lifecycle.changed', n.customer_id, jsonb_build_object('from', s.stage, 'to', n.lifecycle_stage)
       from ${NEXT} n left join customer_lifecycle_states s on s.customer_id = n.customer_id
      where n.lifecycle_stage is not null and n.lifecycle_stage is distinct from s.stage order by n.customer_id`,
  );
  await em.execute(
    `update customer_lifecycle_states s set stage = n.lifecycle_stage, changed_at = now()
       from ${NEXT} n where n.customer_id = s.customer_id and n.lifecycle_stage is not null and s.stage is distinct from n.lifecycle_stage`,
  );
  // A plain insert, in key order (the primary key's pages are then filled one after the other): no other
  // writer can add a state meanwhile, as their only writer is the customer_metrics trigger and the run
  // holds a lock that keeps every writer of customer_metrics out. (ON CONFLICT cost a speculative
  // insertion and its confirmation per row: three WAL records where two do.)
  await em.execute(
    `insert into customer_lifecycle_states (customer_id, stage, changed_at)
     select n.customer_id, n.lifecycle_stage, now() from ${NEXT} n
      where n.lifecycle_stage is not null and not exists (select 1 from customer_lifecycle_states s where s.customer_id = n.customer_id)
      order by n.customer_id`,
  );
}

/**
 * Replaces customer_metrics by the run's table: its indexes are built (one sort each) under the names the
 * current table's indexes have plus a suffix, then, under an ACCESS EXCLUSIVE lock held to the commit,
 * the old table is dropped and the new one takes its name, its indexes', its constraints' and its
 * triggers (copied from the catalog, so they stay whatever the migrations made them), and what an
 * operator may have set on it since: its owner, its grants (a reporting role's SELECT), its storage
 * parameters and its comment. Row-level security policies and rules are not copied: a run refuses to
 * drop a table that has them (its transaction rolls back, the metrics stay as they were), rather than
 * silently lose an access rule. Views or foreign keys on the table make the drop fail the same way.
 */
async function swapInMetrics(em: EntityManager): Promise<void> {
  const [table]: Array<{ owner: string; is_owner: boolean; reloptions: string[] | null; /** quoted as a literal */ comment: string | null; rls: boolean; policies: number; rules: number }> = await em.execute(
    `select c.relowner::regrole::text as owner, c.relowner = (select oid from pg_roles where rolname = current_user) as is_owner,
            c.reloptions, quote_literal(obj_description(c.oid, 'pg_class')) as comment, c.relrowsecurity as rls,
            (select count(*)::int from pg_policy p where p.polrelid = c.oid) as policies,
            (select count(*)::int from pg_rewrite r where r.ev_class = c.oid) as rules
       from pg_class c where c.oid = 'customer_metrics'::regclass`,
  );
  if (table.rls || table.policies > 0 || table.rules > 0) {
    throw new Error('customer_metrics has row-level security or rules, which the analytics run cannot carry over to the table it swaps in: remove them (or grant through a view)');
  }
  // Table grants, then column grants (column: null for the table), other than the owner's own.
  const grants: Array<{ grantee: string; privilege: string; grantable: boolean; column: string | null }> = await em.execute(
    `select case when a.grantee = 0 then 'public' else a.grantee::regrole::text end as grantee, a.privilege_type as privilege,
            a.is_grantable as grantable, null as column
       from pg_class c, aclexplode(c.relacl) a
      where c.oid = 'customer_metrics'::regclass and a.grantee <> c.relowner
     union all
     select case when a.grantee = 0 then 'public' else a.grantee::regrole::text end, a.privilege_type, a.is_grantable, quote_ident(t.attname)
       from pg_class c join pg_attribute t on t.attrelid = c.oid, aclexplode(t.attacl) a
      where c.oid = 'customer_metrics'::regclass and t.attnum > 0 and not t.attisdropped and a.grantee <> c.relowner
      order by 4 nulls first, 1, 2`,
  );
  const indexes: Array<{ name: string; def: string; constraint_name: string | null; contype: string | null }> = await em.execute(
    `select i.relname as name, pg_get_indexdef(i.oid) as def, c.conname as constraint_name, c.contype::text as contype
       from pg_index x join pg_class i on i.oid = x.indexrelid
       left join pg_constraint c on c.conindid = x.indexrelid and c.conrelid = x.indrelid
      where x.indrelid = 'customer_metrics'::regclass order by i.relname`,
  );
  const triggers: Array<{ def: string }> = await em.execute(
    `select pg_get_triggerdef(oid) as def from pg_trigger where tgrelid = 'customer_metrics'::regclass and not tgisinternal order by tgname`,
  );
  const tmp = (name: string) => `${name.slice(0, 50)}_next`;
  for (const ix of indexes) {
    const def = ix.def.replace(/^(CREATE (?:UNIQUE )?INDEX )\S+( ON (?:ONLY )?)\S+( USING )/, `$1"${tmp(ix.name)}"$2${NEXT}$3`);
    if (def === ix.def) throw new Error(`cannot rebuild index ${ix.name}: ${ix.def}`);
    await em.execute(def);
  }
  await em.execute(`analyze ${NEXT}`);
  await em.execute(`lock table customer_metrics in access exclusive mode`);
  await em.execute(`drop table customer_metrics`);
  await em.execute(`alter table ${NEXT} rename to customer_metrics`);
  for (const ix of indexes) {
    if (ix.contype != null && ix.contype !== 'p' && ix.contype !== 'u') throw new Error(`cannot rebuild constraint ${ix.constraint_name}`);
    if (ix.contype === 'p' || ix.contype === 'u') {
      await em.execute(`alter table customer_metrics add constraint "${ix.constraint_name}" ${ix.contype === 'p' ? 'primary key' : 'unique'} using index "${tmp(ix.name)}"`);
    } else {
      await em.execute(`alter index "${tmp(ix.name)}" rename to "${ix.name}"`);
    }
  }
  for (const t of triggers) await em.execute(t.def);
  if (!table.is_owner) await em.execute(`alter table customer_metrics owner to ${table.owner}`);
  for (const g of grants) {
    await em.execute(`grant ${g.privilege}${g.column ? ` (${g.column})` : ''} on customer_metrics to ${g.grantee}${g.grantable ? ' with grant option' : ''}`);
  }
  if (table.reloptions?.length) await em.execute(`alter table customer_metrics set (${table.reloptions.join(', ')})`);
  if (table.comment != null) await em.execute(`comment on table customer_metrics is ${table.comment}`);
}

/**
 * Recomputes customer_metrics for every customer, set-based: one aggregate pass over orders into
 * calendar-day transactions (transactions.ts); the purchase model chosen and fitted on a deterministic
 * sample in exact continuous time (weeks); Gamma-Gamma on repeat buyers' repeat transactions; the
 * t_x-free part of the predictions tabulated per (x, T in whole days) and interpolated in T, P(alive) and
 * churn risk exact per customer in SQL; the scores into a temp table, then one INSERT … SELECT. RFM
 * quintiles and CLV tiers are rank-based, computed from cut points read off one sorted column each
 * (no window sorts of whole rows). The rows go into a fresh table, indexed after and swapped in
 * (swapInMetrics); lifecycle announcements are derived from it set-based (announceStages). Runs in one
 * transaction: readers see the old metrics or the new (from the swap to the commit they wait).
 */
export async function recomputeMetrics(rootEm: EntityManager, opts: RecomputeOptions = {}): Promise<RecomputeSummary> {
  const asOf = opts.asOf ?? new Date();
  const horizon = opts.horizonMonths ?? 12;
  const discount = opts.monthlyDiscountRate ?? 0.01;
  const timeZone = opts.timeZone ?? 'UTC';
  const costToServe = opts.costToServeMinor ?? 0;
  if (!Number.isSafeInteger(costToServe) || costToServe < 0) throw new Error('costToServeMinor must be a non-negative integer');
  const churnWeeks = (opts.churnHorizonDays ?? 90) / 7;
  const cutoff = new Date(asOf.getTime() - (opts.holdoutWeeks ?? 26) * WEEK_SECONDS * 1000);
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
    // and for the index builds of the swapped-in table (the default 64MB sorted a million keys on disk)
    await em.execute(`set local maintenance_work_mem = '256MB'`);
    await em.execute(`set local statement_timeout = 0`);
    // No other writer of customer_metrics until the swap (as when every row was deleted at the start:
    // writers waited on the row locks); readers go on reading the old rows until then.
    await em.execute(`lock table customer_metrics in share row exclusive mode`);
    await time('aggregate', () => createTransactionSummary(em, 'm_base', { end: asOf, cutoff, timeZone }));
    // JIT pays for itself on the summary's ten million orders, not on the per-customer statements after it:
    // compiling their expressions with inlining and optimisation cost about a second of CPU each, more
    // than it saved (1M customers: score 8.2 → 7.1 s, outbox announcements 5.8 → 4.5 s of backend CPU).
    await em.execute(`set local jit = off`);
    const [{ n: withOrdersText }]: Array<{ n: string }> = await em.execute(`select count(*) as n from m_base`);
    const withOrders = Number(withOrdersText);

    const rows = await time('sample', () => loadSummaries(em, 'm_base', { end: asOf, cutoff, limit: opts.fitSampleSize ?? 50_000 }));
    const pm = await time('fitPurchases', async () => choosePurchaseModel(rows, opts.choiceSampleSize));
    let gg: models.GammaGammaParams | null = null;
    if (pm) {
      // Gamma-Gamma as FHL define it: repeat buyers only, m_x = the mean of the REPEAT transactions.
      const sample: Array<{ x: number; mx: number }> = await em.execute(
        `select days - 1 as x, (value_minor - first_value) / (days - 1) as mx from m_base
         where days > 1 and value_minor - first_value > 0 order by hashtext(customer_id::text), customer_id limit ?`,
        [opts.spendSampleSize ?? 200_000],
      );
      if (sample.length >= MIN_CUSTOMERS) {
        gg = await time('fitGammaGamma', async () =>
          models.fitGammaGamma({ x: Float64Array.from(sample, (s) => Number(s.x)), mx: Float64Array.from(sample, (s) => Number(s.mx)) }).params,
        );
      }
    }

    // E[purchases in 12 months | alive] and the discounted purchases | alive depend on (x, T) only: tabulated
    // at whole days of T and interpolated linearly in SQL (error ~1e−5 relative), times each customer's exact P(alive).
    await em.execute(`create temp table m_pred (x int, d int, purchases12m float8, discounted float8, primary key (x, d)) on commit drop`);
    let gridRows = 0;
    if (pm) {
      await time('predict', async () => {
        const cells: Array<{ x: number; d: number }> = await em.execute(
          `select distinct days - 1 as x, floor(date_part('epoch', ?::timestamptz - first_at) / ${DAY_SECONDS})::int as d from m_base`,
          [asOf],
        );
        const seen = new Set<string>();
        const grid: Array<{ x: number; d: number; purchases12m: number; discounted: number }> = [];
        for (const c of cells) {
          for (const d of [c.d, c.d + 1]) {
            const key = `${c.x}:${d}`;
            if (seen.has(key)) continue;
            seen.add(key);
            const T = d / 7;
            grid.push({
              x: c.x, d,
              purchases12m: models.betaGeoExpectedIfAlive(pm.model, pm.params, 12 * models.WEEKS_PER_MONTH, c.x, T),
              discounted: models.discountedPurchasesIfAlive(pm.model, pm.params, c.x, T, { horizonMonths: horizon, monthlyDiscountRate: discount }),
            });
          }
        }
        gridRows = grid.length;
        for (let i = 0; i < grid.length; i += 20_000) {
          await em.execute(
            `insert into m_pred select * from jsonb_to_recordset(?::jsonb) as r(x int, d int, "purchases12m" float8, discounted float8)`,
            [JSON.stringify(grid.slice(i, i + 20_000))],
          );
        }
      });
    }

    // Everything else in two statements (scores, then the insert). Engagement compares the last 30 days of the customer's OWN
    // interactions with the 60 before (per 30 days) — sends are not engagement; negative feedback =
    // complaints, NPS ≤ 6, CSAT/review ≤ 2 in 90 days. Tiers (Peppers & Rogers) rank by CLV in the insert:
    // most valuable = top fifth; below zero = returned at least what they kept; most growable =
    // bottom half but likely alive and engaged.
    // T and t_x in weeks as float8 columns of `timed` (date_part: extract() returns numeric, ~2× dearer).
    const x = '(b.days - 1)';
    const pAlive = pm ? pAliveSql(pm, x, 'b.tx_w', 'b.t_w') : 'null::float8';
    // P(no purchase in the churn horizon) = 1 − P(alive)·(1 − ((α+T)/(α+T+h))^{r+x}).
    const churn = pm
      ? `1 - b.p_alive * (1 - exp(greatest(-700, (${pm.params.r}::float8 + ${x}) * (ln(${pm.params.alpha}::float8 + b.t_w) - ln(${pm.params.alpha}::float8 + b.t_w + ${churnWeeks})))))`
      : 'null::float8';
    const ggp = gg && gg.q > 1 ? gg : null;
    const version = modelVersion(pm?.model ?? null);
    await keepPreviousStages(em);
    // The new metrics go into a fresh table without indexes or triggers (a heap append per row instead
    // of six index insertions), swapped in at the end (swapInMetrics).
    await em.execute(`create table ${NEXT} (like customer_metrics including all excluding indexes)`);
    // Every customer's scores into a temp table first (no WAL, no indexes), then the tiers' cut points
    // from it and the insert: the CLV ranking needs every customer's CLV before any row is written.
    await time('score', async () => {
      await em.execute(
        `create temp table m_valued on commit drop as
         with cogs as (
           -- Gross-margin share of what the customer bought: lines without a unit cost count as costless.
           -- The lines of kept orders placed by the as-of instant: every line but those of the few orders that
           -- are not (an anti-join against a hash of them), where joining every line to its order hashed all
           -- the orders (1M customers, 18M lines: 62 → 38 s at load 6).
           select l.customer_id, sum(l.line_total_minor)::float8 as revenue, coalesce(sum(p.unit_cost_minor::float8 * l.quantity), 0) as cost
           from order_lines l left join products p on p.id = l.product_id
           where not exists (select 1 from orders o where o.id = l.order_id and (o.status in ('cancelled', 'returned') or o.placed_at > ?))
           group by l.customer_id),
         -- Quintile scores, rank-based: score = 1 + floor(5·(rank − 1)/n) with rank − 1 = the number of
         -- strictly smaller values, so ties share a score and equal values never straddle a boundary.
         -- Score ≥ k iff at least c_k = ceil((k − 1)·n/5) values are smaller, i.e. iff the value exceeds the
         -- c_k-th smallest: four boundaries per measure, read from one sorted array each (a sort of one
         -- column instead of a window's sort of whole rows). Materialized, so that the cut points are read
         -- out of the sorted arrays once, not in every customer's row.
         quintiles as materialized (
           select array[r[(n + 4) / 5], r[(2 * n + 4) / 5], r[(3 * n + 4) / 5], r[(4 * n + 4) / 5]] as r,
                  array[f[(n + 4) / 5], f[(2 * n + 4) / 5], f[(3 * n + 4) / 5], f[(4 * n + 4) / 5]] as f,
                  array[m[(n + 4) / 5], m[(2 * n + 4) / 5], m[(3 * n + 4) / 5], m[(4 * n + 4) / 5]] as m
           from (select array_agg(last_order_at order by last_order_at) as r, array_agg(orders order by orders) as f,
                        array_agg(value_minor / orders order by value_minor / orders) as m, count(*)::int as n from m_base) a),
         -- (offset 0 keeps each layer a subquery: flattened, every reference to p_alive, discounted, … would
         -- repeat the whole expression in the row — P(alive) was evaluated 6–8 times per customer.)
         timed as (
           select b.*, date_part('epoch', ?::timestamptz - b.first_at) / ${WEEK_SECONDS} as t_w,
                  date_part('epoch', b.last_at - b.first_at) / ${WEEK_SECONDS} as tx_w,
                  date_part('epoch', ?::timestamptz - b.first_at) / ${DAY_SECONDS} as t_days
           from m_base b offset 0),
         modelled as (
           select b.*, ${pAlive} as p_alive, floor(b.t_days)::int as d from timed b offset 0),
         scored as (
           select b.*, ${churn} as churn,
                  b.p_alive * (g0.purchases12m + (g1.purchases12m - g0.purchases12m) * (b.t_days - b.d)) as purchases12m,
                  b.p_alive * (g0.discounted + (g1.discounted - g0.discounted) * (b.t_days - b.d)) as discounted,
                  date_part('epoch', ?::timestamptz - b.last_order_at) / ${DAY_SECONDS} as recency_days,
                  ${quintileSql('b.last_order_at', 'q.r')} as r_score,
                  ${quintileSql('b.orders', 'q.f')} as f_score,
                  ${quintileSql('b.value_minor / b.orders', 'q.m')} as m_score
           from modelled b
           cross join quintiles q
           left join m_pred g0 on g0.x = b.days - 1 and g0.d = b.d
           left join m_pred g1 on g1.x = b.days - 1 and g1.d = b.d + 1
           offset 0),
         valued as (
           select s.*, e.exp_spend, round(s.discounted * e.exp_spend)::bigint as clv,
                  -- Margin CLV: each expected transaction's value times the margin share, less the cost to serve its orders.
                  round(s.discounted * (e.exp_spend * coalesce(case when g.revenue > 0 then 1 - g.cost / g.revenue end, 1)
                                        - ${costToServe}::float8 * s.orders / s.days))::bigint as margin_clv,
                  coalesce(round(s.discounted * e.exp_spend), 0) as clv_key,
                  -- Won back: bought in the last 90 days after a gap of 180+. Only recent buyers are looked at,
                  -- through the (customer_id, placed_at) index, instead of a window over every order.
                  (s.last_order_at > ?::timestamptz - interval '90 days' and s.last_order_at - (
                     select max(o.placed_at) from orders o where o.customer_id = s.customer_id and o.placed_at < s.last_order_at
                       and o.status not in ('cancelled', 'returned')) > interval '180 days') as won_back
           from scored s
           left join cogs g on g.customer_id = s.customer_id
           cross join lateral (select ${ggp ? `
                    -- Gamma-Gamma E[M | x, m_x] = p(v + x·m_x)/(px + q − 1) with x·m_x = the repeat transactions' total;
                    -- x = 0 gives the population mean pv/(q − 1).
                    ${ggp.p}::float8 * (${ggp.v}::float8 + (s.value_minor - s.first_value)) / (${ggp.p}::float8 * (s.days - 1) + ${ggp.q}::float8 - 1)` : 'null::float8'} as exp_spend) e)
         select * from valued`,
        [asOf, asOf, asOf, asOf, asOf],
      );
      await em.execute(`analyze m_valued`);
    });
    const inserted: Array<{ n: string }> = await time('insert', () =>
      em.execute(
        `with eng as (
           select customer_id, case when before = 0 then 0 else greatest(0, least(1, 1 - recent / before)) end as decline
           from (select customer_id,
                        count(*) filter (where occurred_at > ?::timestamptz - interval '30 days') as recent,
                        count(*) filter (where occurred_at <= ?::timestamptz - interval '30 days') / 2.0 as before
                 from interactions where occurred_at > ?::timestamptz - interval '90 days' and occurred_at <= ?
                   and type not in ('email_send', 'sms_send', 'push_send')
                 group by customer_id) counts),
         neg as (
           select customer_id, count(*)::int as n from feedback
           where submitted_at > ?::timestamptz - interval '90 days' and submitted_at <= ?
             and (kind = 'complaint' or (kind = 'nps' and score <= 6) or (kind in ('csat', 'review') and score <= 2))
           group by customer_id),
         -- The CLV tiers read percent_rank() over (order by clv_key desc) = c/(n − 1), c = the number of larger
         -- keys, against 0.2 and 0.5: c/(n − 1) < 0.2 iff c <= a (the largest such c, found in float8 as
         -- percent_rank computes), iff the key is at least the (a + 1)-th largest; c/(n − 1) >= 0.5 iff c >= b,
         -- iff the key is below the b-th largest. One sorted column, no window over whole rows. Materialized:
         -- inlined, its subqueries were evaluated again for every customer row (8 per row) and the plan cost
         -- of 1.9e7 sent the insert through JIT with inlining and optimization.
         clv_cuts as materialized (
           select case when a + 1 <= n then keys[a + 1] end as top_cut, b, case when b between 1 and n - 1 then keys[b] end as half_cut
           from (select keys, n,
                        -- (searched near the exact boundary: float8 division moves it by one at most)
                        case when n <= 1 then 0 else (select max(c) from generate_series(greatest(0, floor(0.2 * (n - 1))::int - 2), floor(0.2 * (n - 1))::int + 2) c where c::float8 / (n - 1)::float8 < 0.2) end as a,
                        case when n <= 1 then n else (select min(c) from generate_series(greatest(0, floor(0.5 * (n - 1))::int - 2), floor(0.5 * (n - 1))::int + 2) c where c::float8 / (n - 1)::float8 >= 0.5) end as b
                 from (select array_agg(clv_key order by clv_key desc) as keys, count(*)::int as n from m_valued) k) t),
         ins as (insert into ${NEXT} (customer_id, computed_at, model_version, currency, orders_count, first_order_at, last_order_at,
           recency_days, frequency, monetary_avg_minor, historic_value_minor, r_score, f_score, m_score, rfm_segment,
           predicted_purchases12m, p_alive, expected_spend_minor, clv12m_minor, margin_clv12m_minor, engagement_decline, negative_feedback90d,
           churn_risk, value_tier, lifecycle_stage)
         select c.id, ?, ?, v.currency, coalesce(v.orders, 0), v.first_order_at, v.last_order_at, floor(v.recency_days)::int,
           greatest(coalesce(v.days, 0) - 1, 0), (v.value_minor / v.orders), coalesce(v.value_minor, 0),
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
           v.purchases12m, v.p_alive, v.exp_spend, v.clv, v.margin_clv,
           coalesce(e.decline, 0), coalesce(n.n, 0),
           -- Churn risk: the model's P(no purchase over the churn horizon); none for prospects.
           -- (greatest/least skip nulls, so the null of a prospect is kept explicitly.)
           case when v.churn is not null then least(1, greatest(0, v.churn)) end,
           case when v.customer_id is null then 'maintain'
                when v.returned_minor > 0 and v.returned_minor >= v.value_minor then 'below_zero'
                when k.top_cut is null or v.clv_key >= k.top_cut then 'most_valuable'
                when (k.b = 0 or v.clv_key < k.half_cut) and coalesce(v.p_alive, 0) >= 0.5 and coalesce(e.decline, 0) < 0.5 then 'most_growable'
                else 'maintain' end,
           case when v.customer_id is null then 'prospect'
                when v.days = 1 and v.first_at > ?::timestamptz - interval '30 days' then 'new'
                when v.won_back then 'won_back'
                when v.last_order_at < ?::timestamptz - interval '365 days' or coalesce(v.p_alive, 1) < 0.2 then 'lapsed'
                when coalesce(v.p_alive, 1) < 0.5 or v.last_order_at < ?::timestamptz - interval '180 days' then 'at_risk'
                else 'active' end
         from customers c
         left join m_valued v on v.customer_id = c.id
         cross join clv_cuts k
         left join eng e on e.customer_id = c.id
         left join neg n on n.customer_id = c.id
         where c.status = 'active'
         returning 1)
         select count(*) as n from ins`,
        [asOf, asOf, asOf, asOf, asOf, asOf, asOf, version, asOf, asOf, asOf],
      ),
    );
    await time('lifecycle', () => announceStages(em));
    await time('swap', () => swapInMetrics(em));
    const runId = await time('history', () => recordRunHistory(em, { asOf, modelVersion: version, purchaseModel: pm, gammaGamma: gg }));
    log('metrics recomputed', { timings, model: pm?.model ?? null });
    return { runId, customers: Number(inserted[0].n), withOrders, modelGroups: gridRows, modelVersion: version, purchaseModel: pm, gammaGamma: gg, timingsMs: timings };
  });
}
