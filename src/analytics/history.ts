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
    `with prev as (
       select count(*) filter (where p.lifecycle_stage = any(?::text[]))::int as active,
              count(*) filter (where p.lifecycle_stage = any(?::text[]) and m.lifecycle_stage = 'lapsed')::int as lapsed,
              (select count(*) from m_prev) as n
       from m_prev p left join customer_metrics m on m.customer_id = p.customer_id)
     insert into analytics_runs (as_of, model_version, customers, stage_counts, tier_counts, previous_active, churn_rate, clv_totals,
                                 purchase_model, model_params, log_likelihood, gamma_gamma_params)
     select ?, ?, (select count(*) from customer_metrics),
       coalesce((select jsonb_object_agg(lifecycle_stage, n) from (select lifecycle_stage, count(*) as n from customer_metrics group by 1) s), '{}'),
       coalesce((select jsonb_object_agg(value_tier, n) from (select value_tier, count(*) as n from customer_metrics group by 1) t), '{}'),
       case when prev.n > 0 then prev.active end,
       case when prev.active > 0 then prev.lapsed::float8 / prev.active end,
       coalesce((select jsonb_agg(jsonb_build_object('currency', currency, 'amountMinor', total) order by currency)
                 from (select currency, sum(clv12m_minor)::bigint as total from customer_metrics
                       where clv12m_minor is not null and currency is not null group by currency) c), '[]'),
       ?, ?::jsonb, ?, ?::jsonb
     from prev
     returning id`,
    [
      textArray(ACTIVE_STAGES), textArray(ACTIVE_STAGES), run.asOf, run.modelVersion,
      pm?.model ?? null, pm ? JSON.stringify(pm.params) : null, pm?.logLikelihood ?? null, run.gammaGamma ? JSON.stringify(run.gammaGamma) : null,
    ],
  );
  await em.execute(
    `insert into customer_lifecycle_transitions (customer_id, run_id, from_stage, to_stage, at)
     select m.customer_id, ?, p.lifecycle_stage, m.lifecycle_stage, ?
     from customer_metrics m left join m_prev p on p.customer_id = m.customer_id
     where p.lifecycle_stage is distinct from m.lifecycle_stage`,
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
