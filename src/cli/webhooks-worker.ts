import 'reflect-metadata';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { initOrm, migrate } from '../db/orm';
import { startOutbound } from '../outbound/delivery-worker';
import { startTriggers } from '../triggers/engine';
import { connectCliDatabase } from './database';

/**
 * npm run webhooks:worker: the webhook dispatcher and delivery workers in a process of their own, for
 * servers started with WEBHOOK_WORKER=off, and the trigger engine (README "Triggers") for servers
 * started with TRIGGER_WORKER=off. Any number may run beside each other and beside inline
 * servers: they share the outbox and the queue without sending one attempt twice.
 */
export async function run(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config);
  const db = await connectCliDatabase(config, logger);
  const orm = await initOrm(db.url);
  await migrate(orm); // the outbox tables must exist before the first round
  await orm.close();
  const outbound = await startOutbound({ databaseUrl: db.url, config: config.webhooks, logger });
  const triggers = await startTriggers({ databaseUrl: db.url, config: config.triggers, logger });
  logger.info('webhook worker running');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'webhook worker stopping: letting attempts in progress finish');
    await triggers.stop({ graceful: true });
    await outbound.stop({ graceful: true });
    await db.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

if (require.main === module) {
  run().catch((err) => {
    console.error(err); // eslint-disable-line no-console
    process.exit(1);
  });
}
