import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { ConsentChannel, ConsentPurpose } from '../entities/enums';
import { fromGlobalId } from '../schema/global-id';
import { channelFor } from '../exports/segment-members';
import { UsageError, type Command } from './command';

const USAGE = `usage: npx rapport export --segment ID --purpose PURPOSE --format csv|ndjson [options]
       (also: npm run export -- …)

Writes the current members of a segment whose consent in force allows PURPOSE on the channel: active
customers only (never erased, merged-away or suppressed ones), reachable on that channel. Streams in
constant memory; a progress bar (or progress lines when stderr is not a terminal) goes to stderr.
Every run writes the audit log: one READ row per exported customer and one EXPORT row (who, segment,
purpose, channel, format, count). Columns: README "Exports".

  --segment ID         the segment: its global id (Segment.id), database id, or exact name
  --purpose PURPOSE    EMAIL_MARKETING, SMS_MARKETING, PUSH_MARKETING, PHONE_MARKETING, PERSONALIZATION,
                       PROFILING, THIRD_PARTY_SHARING or ANALYTICS
  --channel CHANNEL    EMAIL, SMS, PUSH, PHONE, POST, WEB or ANY; default: the purpose's own channel
                       (EMAIL_MARKETING: EMAIL, SMS_MARKETING: SMS, PUSH_MARKETING: PUSH, PHONE_MARKETING:
                       PHONE), else ANY
  --format csv|ndjson  CSV with a header row, or one JSON object per line
  --out FILE           write FILE (created only once complete; it must not exist); default: stdout
  --actor NAME         who runs it, for the audit log (default: the OS user and host), recorded as a
                       keyed pseudonym like a token's subject
  --json               print a JSON summary on stderr at the end
  --quiet              no progress

Uses DATABASE_URL, else the embedded PostgreSQL of npm start. Exit code 0 done, 1 failed (nothing is
written, nothing audited), 2 usage error.`;

const enumValue = <T extends Record<string, string>>(e: T, flag: string, raw: string | undefined): T[keyof T] | undefined => {
  if (raw === undefined) return undefined;
  const key = raw.trim().toUpperCase() as keyof T;
  if (!(key in e)) throw new UsageError(`${flag} must be one of ${Object.keys(e).join(', ')}`);
  return e[key];
};

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      segment: { type: 'string' },
      purpose: { type: 'string' },
      channel: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      actor: { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
  });
  if (positionals.length) throw new UsageError(`unexpected argument: ${positionals[0]}`);
  if (!values.segment?.trim()) throw new UsageError('give --segment ID');
  const purpose = enumValue(ConsentPurpose, '--purpose', values.purpose);
  if (!purpose) throw new UsageError('give --purpose PURPOSE');
  const channel = channelFor(purpose, enumValue(ConsentChannel, '--channel', values.channel));
  const format = values.format?.toLowerCase();
  if (format !== 'csv' && format !== 'ndjson') throw new UsageError('give --format csv or --format ndjson');
  if (values.out !== undefined) {
    if (!values.out.trim()) throw new UsageError('--out needs a file name');
    if (fs.existsSync(values.out)) throw new UsageError(`${values.out} exists: choose a new file`);
    if (!fs.existsSync(path.dirname(path.resolve(values.out)))) throw new UsageError(`${path.dirname(values.out)}: no such directory`);
  }
  const actor = values.actor?.trim() || `${os.userInfo().username}@${os.hostname()}`;
  return { segment: values.segment.trim(), purpose, channel, format: format as 'csv' | 'ndjson', out: values.out, actor, json: values.json, quiet: values.quiet };
}

async function run(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    throw err instanceof UsageError ? err : new UsageError((err as Error).message);
  }
  const [{ connectCliDatabase }, { runExport, ExportError }, pg] = await Promise.all([import('./database'), import('../exports/run-export'), import('pg')]);
  const config = loadConfig();
  const logger = createLogger({ logLevel: config.logLevel === 'silent' ? 'silent' : 'warn' });
  const db = await connectCliDatabase(config, logger);
  try {
    // The segment by global id, database id or name: one lookup.
    const parsed = fromGlobalId(args.segment);
    const uuid = parsed?.type === 'Segment' ? parsed.id : /^[0-9a-f-]{36}$/i.test(args.segment) ? args.segment : null;
    const client = new pg.default.Client({ connectionString: db.url });
    await client.connect();
    let segmentId: string | undefined;
    try {
      const { rows } = await client.query<{ id: string }>('select id from segments where id = $1::uuid or ($1::uuid is null and name = $2)', [uuid, args.segment]);
      segmentId = rows[0]?.id;
    } finally {
      await client.end();
    }
    if (!segmentId) {
      console.error(`rapport export: no segment ${args.segment}`);
      return 1;
    }
    try {
      const summary = await runExport({
        databaseUrl: db.url, segmentId, purpose: args.purpose, channel: args.channel, format: args.format, out: args.out,
        actor: config.pseudonymKeys.actor(`cli:${args.actor}`), keyring: config.pseudonymKeys, progress: !args.quiet,
      });
      if (!args.quiet) {
        console.error(`export done: ${summary.rows} customers of "${summary.segmentName}" for ${summary.purpose} on ${summary.channel}` +
          `${summary.file ? ` in ${summary.file}` : ''}; ${summary.seconds.toFixed(1)} s; audit request ${summary.auditRequestId}`);
      }
      if (args.json) console.error(JSON.stringify(summary));
      return 0;
    } catch (err) {
      if (err instanceof ExportError) {
        console.error(`rapport export: ${err.message}`);
        return 1;
      }
      throw err;
    }
  } finally {
    await db.close();
  }
}

export const command: Command = { usage: USAGE, run };
