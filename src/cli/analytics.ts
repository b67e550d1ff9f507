import type { EntityManager } from '@mikro-orm/postgresql';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { runAnalytics } from '../analytics/run';
import { withCliOrm } from './database';
import { UsageError, type Command } from './command';

const USAGE = `usage: npx rapport analytics      (also: npm run analytics)

Recomputes every customer's metrics (RFM, CLV, churn risk), every segment's members and the product
similarities now, as the server's scheduler does every ANALYTICS_INTERVAL_MINUTES. Logs timings as JSON.
Uses DATABASE_URL, else the embedded PostgreSQL of a running npm start. Exit code 3: another run holds the lock.`;

async function run(argv: string[]): Promise<number> {
  if (argv.length) throw new UsageError(`unexpected argument ${argv[0]}`);
  const config = loadConfig();
  const logger = createLogger({ logLevel: config.logLevel === 'silent' ? 'silent' : 'info' });
  return withCliOrm(config, logger, async (orm) => {
    const result = await runAnalytics(orm.em.fork() as EntityManager, { log: (m, d) => logger.info(d ?? {}, m) });
    if (!result) {
      logger.warn('another analytics run holds the lock; nothing done');
      return 3;
    }
    logger.info({ customers: result.metrics.customers, withOrders: result.metrics.withOrders, bgNbd: result.metrics.bgNbd, gammaGamma: result.metrics.gammaGamma, timingsMs: result.metrics.timingsMs, segments: result.segments, similarities: result.similarities, offersAttributed: result.offersAttributed, ms: result.durationMs }, 'analytics done');
    return 0;
  });
}

export const command: Command = { usage: USAGE, run };
