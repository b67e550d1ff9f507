import 'reflect-metadata';
import type { EntityManager } from '@mikro-orm/postgresql';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { initOrm } from '../db/orm';
import { runAnalytics } from '../analytics/run';
import { connectCliDatabase } from './database';

// npm run analytics: recompute every customer's metrics, every segment and the product similarities now.
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ logLevel: config.logLevel === 'silent' ? 'silent' : 'info' });
  const db = await connectCliDatabase(config, logger);
  const orm = await initOrm(db.url);
  try {
    const run = await runAnalytics(orm.em.fork() as EntityManager, { log: (m, d) => logger.info(d ?? {}, m) });
    if (!run) {
      logger.warn('another analytics run holds the lock; nothing done');
      process.exitCode = 3;
      return;
    }
    logger.info({ customers: run.metrics.customers, withOrders: run.metrics.withOrders, bgNbd: run.metrics.bgNbd, gammaGamma: run.metrics.gammaGamma, timingsMs: run.metrics.timingsMs, segments: run.segments, similarities: run.similarities, offersAttributed: run.offersAttributed, ms: run.durationMs }, 'analytics done');
  } finally {
    await orm.close();
    await db.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
