import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { startEmbeddedPostgres } from '../db/embedded-postgres';
import { UsageError, type Command } from './command';

const USAGE = `usage: npx rapport db start|migrate|seed [options]

  start                  run only the embedded PostgreSQL (RAPPORT_DATA_DIR, EMBEDDED_PG_PORT) until
                         SIGINT/SIGTERM/SIGHUP; prints "READY <url>" once it accepts connections (also: npm run db:embedded)
  migrate                apply pending migrations
  seed                   seed the demo data into a database without customers (DEMO_CUSTOMERS, default 3000)
  --create-database      with DATABASE_URL: create its database if it does not exist (also DB_CREATE=true)
  --customers N          seed: how many demo customers

Uses DATABASE_URL, else the embedded PostgreSQL of a running npm start, else starts it for the command.`;

async function startOnly(): Promise<number> {
  const config = loadConfig();
  const pg = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort, log: (m) => process.stderr.write(`${m}\n`), ownProcessGroup: true });
  process.stdout.write(`READY ${pg.url}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    process.once('SIGHUP', resolve);
  });
  await pg.stop();
  return 0;
}

async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { 'create-database': { type: 'boolean', default: false }, customers: { type: 'string' } } });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const [action, ...extra] = parsed.positionals;
  if (extra.length) throw new UsageError(`unexpected argument ${extra[0]}`);
  if (action === 'start') return startOnly();
  if (action !== 'migrate' && action !== 'seed') throw new UsageError(action ? `unknown action ${action}` : 'give an action: start, migrate or seed');
  const config = loadConfig();
  const customers = parsed.values.customers === undefined ? config.demoCustomers : Number(parsed.values.customers);
  if (!Number.isInteger(customers) || customers < 1 || customers > 1_000_000) throw new UsageError('--customers must be an integer from 1 to 1000000');
  const logger = createLogger({ logLevel: config.logLevel === 'silent' ? 'silent' : 'info' });
  // Loaded here, not at the top: `db start` (which tests spawn) needs no ORM, and starts faster without it.
  const [{ withCliOrm }, { migrate }, { seedDemoIfEmpty }] = await Promise.all([import('./database'), import('../db/orm'), import('./seed')]);
  return withCliOrm(
    config,
    logger,
    async (orm) => {
      const applied = await migrate(orm);
      logger.info({ migrations: applied }, applied.length ? 'applied migrations' : 'no pending migrations');
      if (action === 'seed' && !(await seedDemoIfEmpty(orm, customers, logger))) {
        logger.warn('the database already has customers; nothing seeded');
        return 3;
      }
      return 0;
    },
    { createDatabase: parsed.values['create-database'] || config.dbCreate, poolMax: 2 },
  );
}

export const command: Command = { usage: USAGE, run };
