import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type * as models from './models';
import { LifecycleStage } from './enums';
import { textArray } from '../services/pagination';
import type { PurchaseModelSummary } from './recompute';

/** Stages that count as active customers for the next run's churn rate. */
export const ACTIVE_STAGES: readonly LifecycleStage[] = [LifecycleStage.NEW, LifecycleStage.ACTIVE, LifecycleStage.WON_BACK];

/** Before customer_metrics is replaced: the stages of the previous run, for transitions and churn (dropped at commit). */
export async function keepPreviousStages(em: EntityManager): Promise<void> {
  await em.execute(`create temp table m_prev on commit drop as select customer_id, lifecycle_stage from customer_metrics`);
}

/**
 * SQL for the ledger ids of one run's rows, increasing with `rowNumber` (a bigint SQL expression, 1, 2, …):
 * a time-ordered uuid (version 7's layout) of the run's millisecond, 32 random bits drawn once per run,
 * and the row number (40 bits). Later runs' ids sort after earlier ones' (unless the clock goes back), so
 * the primary key is appended to; two runs would need the same millisecond and the same random bits to
 * collide (runs are serialised: recomputeMetrics locks customer_metrics against another run).
 */
export function ledgerIds(rowNumber: string, now = Date.now(), random = randomBytes(4)): string {
  const ms = now.toString(16).padStart(12, '0');
  const r = random.toString('hex');
  // tttttttt-tttt-7rrr-8rrr-rrnnnnnnnnnn (variant 10xx: the 8)
  return `(overlay('${ms}7${r.slice(0, 3)}8${r.slice(3, 8)}0000000000' placing lpad(to_hex(${rowNumber}), 10, '0') from 23 for 10))::uuid`;
}

/**
 * After customer_metrics is rewritten (same transaction): one analytics_runs row with the run's aggregate
 * figures, and one ledger row per customer whose stage differs from the previous run's, set-based.
 * Returns the run's id.
 */
export async function recordRunHistory(
  em: EntityManager,
  run: { asOf: Date; modelVersion: string; purchaseModel: PurchaseModelSummary | null; gammaGamma: models.GammaGammaParams | null },
): Promise<string> {
  const pm = run.purchaseModel;
  const [row]: Array<{ id: string }> = await em.execute(
    // The run's figures from one scan of the metrics (grouping sets: by stage, by tier, by currency, and
    // all), where a scan per figure read the million rows four times. grouping(…) tells the sets apart:
    // 3 = by stage, 5 = by tier, 6 = by currency, 7 = all.
    `with prev as (
       select count(*) filter (where p.lifecycle_stage = any(?::text[]))::int as active,
              count(*) filter (where p.lifecycle_stage = any(?::text[]) and m.lifecycle_stage = 'lapsed')::int as lapsed,
              (select count(*) from m_prev) as n
       from m_prev p left join customer_metrics m on m.customer_id = p.customer_id),
     figures as materialized (
       select grouping(lifecycle_stage, value_tier, currency) as gs, lifecycle_stage, value_tier, currency, count(*) as n,
              count(*) filter (where clv12m_minor is not null) as valued, sum(clv12m_minor) as clv
       from customer_metrics group by grouping sets ((lifecycle_stage), (value_tier), (currency), ()))
     insert into analytics_runs (as_of, model_version, customers, stage_counts, tier_counts, previous_active, churn_rate, clv_totals,
                                 purchase_model, model_params, log_likelihood, gamma_gamma_params)
     select ?, ?, (select n from figures where gs = 7),
       coalesce((select jsonb_object_agg(lifecycle_stage, n) from figures where gs = 3), '{}'),
       coalesce((select jsonb_object_agg(value_tier, n) from figures where gs = 5), '{}'),
       case when prev.n > 0 then prev.active end,
       case when prev.active > 0 then prev.lapsed::float8 / prev.active end,
       coalesce((select jsonb_agg(jsonb_build_object('currency', currency, 'amountMinor', clv::bigint) order by currency)
                 from figures where gs = 6 and currency is not null and valued > 0), '[]'),
       ?, ?::jsonb, ?, ?::jsonb
     from prev
     returning id`,
    [
      textArray(ACTIVE_STAGES), textArray(ACTIVE_STAGES), run.asOf, run.modelVersion,
      pm?.model ?? null, pm ? JSON.stringify(pm.params) : null, pm?.logLikelihood ?? null, run.gammaGamma ? JSON.stringify(run.gammaGamma) : null,
    ],
  );
  // In customer order, with ids that grow with it (see ledgerIds): every index of the ledger is then
  // appended to (a first run writes a row per customer; random ids and customer order made each of the
  // million insertions land on a random page of two of the three indexes).
  await em.execute(
    `insert into customer_lifecycle_transitions (id, customer_id, run_id, from_stage, to_stage, at)
     select ${ledgerIds('row_number() over (order by m.customer_id)')}, m.customer_id, ?, p.lifecycle_stage, m.lifecycle_stage, ?
     from customer_metrics m left join m_prev p on p.customer_id = m.customer_id
     where p.lifecycle_stage is distinct from m.lifecycle_stage
     order by m.customer_id`,
    [row.id, run.asOf],
  );
  return row.id;
}

/** After the run's segment evaluation: current members per segment, under the names they had. */
export async function recordSegmentSizes(em: EntityManager, runId: string): Promise<void> {
  await em.execute(
    `update analytics_runs set segment_sizes = coalesce((
       select jsonb_agg(jsonb_build_object('segmentId', s.id, 'name', s.name, 'customers',
                (select count(*) from segment_memberships sm where sm.segment_id = s.id and sm.left_at is null)) order by s.name, s.id)
       from segments s), '[]')
     where id = ?`,
    [runId],
  );
}
