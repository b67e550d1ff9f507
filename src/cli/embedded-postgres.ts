import path from 'node:path';
import { startEmbeddedPostgres } from '../db/embedded-postgres';

/**
 * Runs only the embedded PostgreSQL (RAPPORT_DATA_DIR, EMBEDDED_PG_PORT) until SIGINT/SIGTERM:
 * `npm run db:embedded`. Prints one line `READY <url>` when it accepts connections. Also lets tests
 * drive a PostgreSQL they can stop and start, from a process of its own.
 */
async function main(): Promise<void> {
  const dataDir = path.resolve(process.env.RAPPORT_DATA_DIR || '.data/postgres');
  const port = Number(process.env.EMBEDDED_PG_PORT || 54329);
  const pg = await startEmbeddedPostgres({ dataDir, port, log: (m) => process.stderr.write(`${m}\n`) });
  process.stdout.write(`READY ${pg.url}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await pg.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
