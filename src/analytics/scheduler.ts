import type { MikroORM, EntityManager } from '@mikro-orm/postgresql';
import type { Logger } from '../logger';
import { runAnalytics } from './run';
import type { RecomputeOptions } from './recompute';
import { maintainInteractionPartitions } from '../db/interaction-partitions';

/** Interaction partitions kept ahead, and the retention in months (0: none); see src/db/interaction-partitions.ts. */
export interface PartitionOptions {
  ahead: number;
  retentionMonths: number;
}

/**
 * Recomputes analytics every `intervalMinutes` inside the server (0: off; run `npm run analytics`
 * from cron instead). The first run happens shortly after start when no metrics exist yet.
 */
export function startAnalyticsScheduler(
  orm: MikroORM, logger: Logger, intervalMinutes: number, opts: Pick<RecomputeOptions, 'timeZone' | 'costToServeMinor'> = {}, partitions?: PartitionOptions,
): { stop(): Promise<void> } {
  if (intervalMinutes <= 0) return { stop: async () => {} };
  let running: Promise<unknown> | null = null;
  let stopped = false;
  const tick = async () => {
    if (running || stopped) return;
    running = (async () => {
      if (partitions) {
        // Before the recompute, in its own short transaction: months ahead exist, expired months go.
        try {
          const m = await maintainInteractionPartitions(orm.em.fork() as EntityManager, partitions);
          if (m.created.length || m.dropped.length) logger.info(m, 'interaction partitions maintained');
        } catch (err) {
          logger.error({ err }, 'interaction partition maintenance failed');
        }
      }
      try {
        const run = await runAnalytics(orm.em.fork() as EntityManager, opts);
        if (run) logger.info({ customers: run.metrics.customers, segments: run.segments.length, similarPairs: run.similarities.pairs, ms: run.durationMs, timings: run.metrics.timingsMs }, 'analytics recomputed');
        else logger.info('analytics: another instance is recomputing; skipped');
      } catch (err) {
        logger.error({ err }, 'analytics recompute failed');
      } finally {
        running = null;
      }
    })();
    await running;
  };
  const first = setTimeout(async () => {
    const [row]: Array<{ n: string }> = await orm.em.fork().execute('select count(*) as n from (select 1 from customer_metrics limit 1) x');
    if (Number(row.n) === 0) await tick();
  }, 2_000);
  const timer = setInterval(tick, intervalMinutes * 60_000);
  first.unref();
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
