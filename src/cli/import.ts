import 'reflect-metadata';
import type { EntityManager } from '@mikro-orm/postgresql';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { isSupportedCountry, type CountryCode } from 'libphonenumber-js';
import { loadConfig } from '../config';
import { upgradeLegacyDigests } from '../services/privacy.service';
import { createLogger } from '../logger';
import { RecordKind } from '../import/import-record';
import { MAX_WINDOW, formatFromPath, runImport, type ImportFormat } from '../import/run-import';
import { UsageError, type Command } from './command';

const USAGE = `usage: npx rapport import FILE [options]      (also: npm run import -- FILE [options])

  FILE                   .ndjson / .jsonl (one JSON object per line with "type") or .csv (header row, one kind per file)
  --format ndjson|csv    override the format guessed from the extension
  --kind KIND            CSV only: customer | order | interaction
  --rejects PATH         rejected rows as NDJSON (default FILE.rejects.ndjson)
  --source NAME          source of rows that name none (default "import"); natural keys are (source, external id)
  --default-country CC   read phone numbers without a +country prefix in this country (ISO 3166 alpha-2)
  --chunk-size N         records per window: one fast-path transaction, then the core's batches (default and maximum 25000)
  --json                 print the summary as JSON on stdout
  --quiet                no progress on stderr

Uses DATABASE_URL, else the embedded PostgreSQL of npm start. Exit code 0 when the file was read
to the end (with or without rejects), 1 on a fatal error, 2 on a usage error.`;

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string' },
      kind: { type: 'string' },
      rejects: { type: 'string' },
      source: { type: 'string' },
      'default-country': { type: 'string' },
      'chunk-size': { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError('give exactly one FILE');
  const file = positionals[0];
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new UsageError(`${file}: no such file`);
  const format = (values.format?.toLowerCase() ?? formatFromPath(file)) as ImportFormat | undefined;
  if (format !== 'ndjson' && format !== 'csv') throw new UsageError('cannot tell the format from the extension: give --format ndjson or --format csv');
  const kind = values.kind?.toLowerCase() as RecordKind | undefined;
  if (kind && !Object.values(RecordKind).includes(kind)) throw new UsageError('--kind must be customer, order or interaction');
  if (format === 'csv' && !kind) throw new UsageError('a CSV file holds one kind of record: give --kind customer|order|interaction');
  if (format === 'ndjson' && kind) throw new UsageError('--kind is for CSV; NDJSON rows name their own "type"');
  const country = values['default-country']?.toUpperCase();
  if (country && !isSupportedCountry(country)) throw new UsageError('--default-country must be an ISO 3166 alpha-2 code such as GB');
  const chunkSize = values['chunk-size'] === undefined ? MAX_WINDOW : Number(values['chunk-size']);
  if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_WINDOW) throw new UsageError(`--chunk-size must be an integer from 1 to ${MAX_WINDOW}`);
  const source = values.source?.trim();
  if (source !== undefined && !/^.{1,64}$/.test(source)) throw new UsageError('--source must be 1 to 64 characters');
  return {
    file, format, kind, chunkSize, source, json: values.json, quiet: values.quiet,
    country: country as CountryCode | undefined,
    rejects: values.rejects ?? `${file}.rejects.ndjson`,
  };
}

async function run(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    // parseArgs' own errors (unknown option, missing value) are usage errors too.
    throw new UsageError((err as Error).message);
  }
  // The ORM and database modules load after the arguments are checked: a usage error answers at once.
  const [{ initOrm, migrate }, { connectCliDatabase }] = await Promise.all([import('../db/orm'), import('./database')]);
  const config = loadConfig();
  const logger = createLogger({ logLevel: args.quiet || config.logLevel === 'silent' ? 'silent' : 'warn' });
  const db = await connectCliDatabase(config, logger);
  try {
    // Same schema as the server would have: an import into a fresh database works.
    const orm = await initOrm(db.url, { poolMax: 1 });
    try {
      await migrate(orm);
      await upgradeLegacyDigests(orm.em.fork() as EntityManager, config.pseudonymKeys);
    } finally {
      await orm.close();
    }
    const summary = await runImport(db.url, {
      file: args.file, format: args.format, kind: args.kind, rejectsPath: args.rejects, chunkSize: args.chunkSize,
      defaultSource: args.source, defaultCountry: args.country, progress: !args.quiet, keyring: config.pseudonymKeys, policy: config.mergePolicy,
    });
    if (!args.quiet) {
      console.error(
        `import done: ${summary.read} rows read, ${summary.imported} imported, ${summary.duplicates} duplicates/unchanged, ` +
          `${summary.rejected} rejected${summary.rejected ? ` (see ${summary.rejectsFile})` : ''}, ${summary.customersCreated} customers created; ` +
          `${summary.seconds.toFixed(1)} s, ${summary.rowsPerSecond} rows/s, peak RSS ${summary.peakRssMb} MB`,
      );
    }
    if (args.json) console.log(JSON.stringify(summary));
  } finally {
    await db.close();
  }
  return 0;
}

export const command: Command = { usage: USAGE, run };
