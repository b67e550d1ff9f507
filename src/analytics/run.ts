import type { EntityManager } from '@mikro-orm/postgresql';
import { recomputeMetrics, type RecomputeOptions, type RecomputeSummary } from './recompute';
import { evaluateAllSegments, type SegmentEvaluation } from './segments.service';
import { recomputeProductSimilarities, type SimilaritySummary } from './recommendations';
import { recordSegmentSizes } from './history';
import { refreshOfferAttribution } from '../campaigns/results';

export interface AnalyticsRunResult {
  metrics: RecomputeSummary;
  segments: SegmentEvaluation[];
  similarities: SimilaritySummary;
  /** Offers whose attributed revenue changed (the next-best-offer ranking's worth per acceptance). */
  offersAttributed: number;
  durationMs: number;
}

/** A lock id no other feature uses: only one instance recomputes at a time. */
const ANALYTICS_LOCK = 7_246_001;

/**
 * Metrics, then segments (which may use them), then item-to-item product similarities, then offers' attributed revenue. Guarded by an advisory lock so that several
 * instances (or the CLI next to a server) never run it twice at once; returns null when another holds it.
 *
 * Two transactions: the metrics commit first (recomputeMetrics swaps in a new customer_metrics table
 * under an ACCESS EXCLUSIVE lock that readers, and writes whose segment triggers read the metrics, wait
 * on until that commit: it is kept to the swap and the run's history rows), then the rest, under the
 * same lock id (waited for: another run that started in between goes first). If the second fails, the
 * metrics stay and the next run re-evaluates the segments.
 */
export async function runAnalytics(em: EntityManager, opts: RecomputeOptions = {}): Promise<AnalyticsRunResult | null> {
  const started = Date.now();
  const metrics = await em.fork().transactional(async (tem) => {
    const [lock]: Array<{ ok: boolean }> = await tem.execute('select pg_try_advisory_xact_lock(?) as ok', [ANALYTICS_LOCK]);
    if (!lock.ok) return null;
    return recomputeMetrics(tem, opts);
  });
  if (!metrics) return null;
  return em.fork().transactional(async (tem) => {
    await tem.execute('select pg_advisory_xact_lock(?)', [ANALYTICS_LOCK]);
    const segments = await evaluateAllSegments(tem, opts.asOf ?? new Date());
    await recordSegmentSizes(tem, metrics.runId);
    const similarities = await recomputeProductSimilarities(tem, { asOf: opts.asOf });
    const offersAttributed = await refreshOfferAttribution(tem);
    return { metrics, segments, similarities, offersAttributed, durationMs: Date.now() - started };
  });
}
