import type { EntityManager } from '@mikro-orm/postgresql';
import './compile-cache';
import 'reflect-metadata';
import { loadConfig, DEV_JWT_SECRET, ConfigError } from './config';
import { createLogger } from './logger';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from './db/embedded-postgres';
import { initOrm, migrate } from './db/orm';
import { createServer } from './server';
import { seedDemoIfEmpty } from './cli/seed';
import { signToken } from './auth/jwt';
import { Role } from './auth/viewer';
import { startAnalyticsScheduler } from './analytics/scheduler';
import { ensureInteractionPartitions } from './db/interaction-partitions';
import { ensureDatabase, DatabaseUnavailableError } from './db/pg-admin';
import { DataDirInUseError } from './db/data-dir-lock';
import { openReadReplicas } from './db/read-replicas';

const USAGE = `usage: npm start [-- --create-database]      (node dist/src/main.js [--create-database])

Serves the GraphQL API (README "Start it", "Configuration"). --create-database (or DB_CREATE=true)
creates DATABASE_URL's database when it does not exist; without it a missing database is an error.`;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const unknown = argv.find((a) => a !== '--create-database');
  if (unknown) {
    console.error(`unknown argument ${unknown}\n\n${USAGE}`);
    process.exit(2);
  }
  const config = loadConfig();
  const logger = createLogger(config);
  const cleanups: Array<() => Promise<void>> = [];
  let shuttingDown = false;

  const shutdown = async (signal: string) => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    shuttingDown = true;
    logger.info({ signal }, 'shutting down: draining requests');
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (err) {
        logger.error({ err }, 'error during shutdown');
      }
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // The terminal closing: the embedded PostgreSQL is in a process group of its own, so stop it here.
  process.on('SIGHUP', () => void shutdown('SIGHUP'));

  let url = config.databaseUrl;
  let embedded: EmbeddedPostgresHandle | undefined;
  if (!url) {
    logger.info({ dataDir: config.dataDir, port: config.embeddedPgPort }, 'no DATABASE_URL: starting embedded PostgreSQL');
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, log: (m) => logger.info(m), ownProcessGroup: true });
    cleanups.push(embedded.stop);
    url = embedded.url;
  } else if (await ensureDatabase(url, { create: config.dbCreate || argv.includes('--create-database') })) {
    logger.info('created the database (--create-database / DB_CREATE)');
  }

  const orm = await initOrm(url, { poolMax: config.dbPoolMax });
  cleanups.push(() => orm.close());
  const applied = await migrate(orm);
  if (applied.length) logger.info({ migrations: applied }, 'applied migrations');
  const partitions = { ahead: config.interactionPartitionsAhead, retentionMonths: config.interactionRetentionMonths };
  // Months ahead exist before the first write (DEFAULT would take it otherwise); retention waits for the scheduler.
  const createdMonths = await ensureInteractionPartitions(orm.em.fork() as EntityManager, partitions);
  if (createdMonths.length) logger.info({ months: createdMonths }, 'created interaction partitions');

  if (config.seedDemo) await seedDemoIfEmpty(orm, config.demoCustomers, logger);

  let playgroundHeaders: Record<string, string> | undefined;
  if (config.env === 'development' && config.jwtSecret === DEV_JWT_SECRET) {
    // As long as the server accepts (JWT_MAX_LIFETIME_SECONDS): a longer one would be refused.
    const token = await signToken(DEV_JWT_SECRET, { sub: 'dev-admin', role: Role.ADMIN }, `${config.jwtMaxLifetimeSeconds}s`);
    playgroundHeaders = { Authorization: `Bearer ${token}` };
  }

  const scheduler = startAnalyticsScheduler(orm, logger, config.analyticsIntervalMinutes, { timeZone: config.analyticsTimeZone, costToServeMinor: config.analyticsCostToServeMinor }, partitions);
  cleanups.push(() => scheduler.stop());
  // Requests get a pool of their own whose statements PostgreSQL cancels after DB_STATEMENT_TIMEOUT_MS;
  // migrations, seeding and the scheduler above keep the unbounded one.
  const requestOrm = config.dbStatementTimeoutMs ? await initOrm(url, { poolMax: config.dbPoolMax, statementTimeoutMs: config.dbStatementTimeoutMs }) : orm;
  if (requestOrm !== orm) cleanups.push(() => requestOrm.close());
  const readRouter = await openReadReplicas(config, requestOrm, logger);
  if (readRouter) cleanups.push(() => readRouter.close());
  const server = await createServer({ orm: requestOrm, config, logger, playgroundHeaders, readRouter });
  cleanups.push(() => server.close());
  const port = await server.listen(config.port, config.host);
  embedded?.lock.setHttpPort(port);
  const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ url: `${base}/graphql` }, `Rapport is serving GraphQL at ${base}/graphql (playground: open it in a browser)`);
  if (config.metrics && !config.metricsToken && !/^(127\.|::1$|localhost$)/.test(config.host)) {
    logger.warn({ url: `${base}/metrics` }, 'GET /metrics answers anyone who can reach this address: set METRICS_TOKEN or keep /metrics away from the network');
  }
  if (playgroundHeaders) {
    logger.info(`development admin token (pre-filled in the playground):\n  ${playgroundHeaders.Authorization}`);
  }
}

main().catch((err) => {
  // Failures a person can act on are one clear line; anything else keeps its stack.
  const expected = err instanceof DatabaseUnavailableError || err instanceof DataDirInUseError || err instanceof ConfigError;
  // eslint-disable-next-line no-console
  console.error(expected ? `rapport: ${err.message}` : err);
  process.exit(1);
});
