import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { ConsentChannel, ConsentPurpose } from '../entities/enums';
import type { Keyring } from '../auth/pseudonyms';
import { toGlobalId } from '../schema/global-id';
import { exportColumns, literal, membersFromWhere, settingsBind, type MembersSelection } from './segment-members';
import { startExportProgress } from './progress';

export type ExportFormat = 'csv' | 'ndjson';

export interface ExportOptions {
  databaseUrl: string;
  /** Database id (uuid) of the segment. */
  segmentId: string;
  purpose: ConsentPurpose;
  channel: ConsentChannel;
  format: ExportFormat;
  /** A file (written beside as FILE.partial, renamed when complete); none: the stream given, else stdout. */
  out?: string;
  stream?: NodeJS.WritableStream;
  /** Who ran it, as the audit log records it (a keyed pseudonym, like a token's subject). */
  actor: string;
  keyring: Keyring;
  progress?: boolean;
  progressStream?: NodeJS.WriteStream;
}

export interface ExportSummary {
  segmentId: string;
  segmentName: string;
  purpose: string;
  channel: string;
  format: ExportFormat;
  rows: number;
  columns: string[];
  file: string | null;
  auditRequestId: string;
  seconds: number;
}

export class ExportError extends Error {}

/** The personal-data fields an export of these columns reads, named as the audit log names GraphQL reads. */
function auditedFields(columns: string[]): string[] {
  const byColumn: Record<string, string> = {
    email: 'Customer.email', phone: 'Customer.phone', first_name: 'Customer.firstName', last_name: 'Customer.lastName', address_line1: 'Customer.address',
  };
  return columns.map((c) => byColumn[c]).filter((f): f is string => !!f).sort();
}

/**
 * Streams the members of a segment whose consent in force allows the purpose on the channel
 * (segment-members.ts) as CSV or NDJSON, in constant memory: PostgreSQL formats the rows itself and
 * sends them with COPY TO STDOUT, and Node only moves the bytes on.
 *
 * Everything happens in ONE repeatable-read transaction: the audit rows (one READ per exported
 * customer, with the fields exported, and one EXPORT row with segment, purpose, channel, format and
 * count) are written first and list exactly the rows the COPY then sends, both reading one snapshot.
 * The transaction commits only when the whole file is written; a failure rolls the audit back and
 * removes the partial file, so the log never claims an export that did not complete, nor misses one that did.
 */
export async function runExport(opts: ExportOptions): Promise<ExportSummary> {
  const started = Date.now();
  const sel: MembersSelection = { segmentId: opts.segmentId, purpose: opts.purpose, channel: opts.channel };
  const columns = exportColumns(opts.channel);
  // COPY takes no bind parameters: the keyring's pads go in as transaction-local settings (settingsBind),
  // so that no statement's text (pg_stat_activity, the server's log) carries them, for all the minutes a COPY runs.
  const secrets = settingsBind('rapport.export_pad');
  const fromWhere = membersFromWhere(sel, opts.keyring, literal, secrets.bind);
  const client = new pg.Client({ connectionString: opts.databaseUrl, application_name: 'rapport-export' });
  await client.connect();
  const partial = opts.out ? path.join(path.dirname(opts.out), `.${path.basename(opts.out)}.${process.pid}.partial`) : null;
  let committed = false;
  try {
    await client.query('begin isolation level repeatable read');
    await client.query('select set_config(n, v, true) from unnest($1::text[], $2::text[]) as s(n, v)', [secrets.settings.map(([n]) => n), secrets.settings.map(([, v]) => v)]);
    const { rows: [segment] } = await client.query<{ name: string }>('select name from segments where id = $1', [opts.segmentId]);
    if (!segment) throw new ExportError('segment not found');
    const requestId = `export-${randomUUID()}`;
    const fields = auditedFields(columns.map((c) => c.name));
    const summaryFields = [
      `segment=${toGlobalId('Segment', opts.segmentId)}`, `purpose=${opts.purpose.toUpperCase()}`, `channel=${opts.channel.toUpperCase()}`, `format=${opts.format}`,
    ];
    const { rows: [audit] } = await client.query<{ n: string }>(
      `with m as (select sm.customer_id ${fromWhere}),
            reads as (insert into audit_log (request_id, actor, role, action, operation, customer_id, fields)
                      select $1, $2, 'cli', 'READ', 'export', m.customer_id, $3::text[] from m returning 1),
            n as (select count(*) as n from reads),
            summary as (insert into audit_log (request_id, actor, role, action, operation, customer_id, fields)
                        select $1, $2, 'cli', 'EXPORT', 'export', null, $4::text[] || array['count=' || n.n] from n)
       select n from n`,
      [requestId, opts.actor, fields, summaryFields],
    );
    const total = Number(audit.n);

    const select = opts.format === 'csv'
      ? `select ${columns.map((c) => `${c.sql} as ${c.name}`).join(', ')} ${fromWhere} order by sm.customer_id`
      : `select json_build_object(${columns.map((c) => `'${c.name}', ${c.sql}`).join(', ')})::text ${fromWhere} order by sm.customer_id`;
    // NDJSON through CSV mode with a delimiter and a quote no JSON text contains (PostgreSQL escapes
    // every control character in JSON as \u00XX, and JSON has no raw line breaks): each line goes out
    // exactly as json_build_object wrote it, never quoted or escaped (text mode would double backslashes).
    const copy = opts.format === 'csv'
      ? `copy (${select}) to stdout with (format csv, header true)`
      : `copy (${select}) to stdout with (format csv, delimiter E'\\x01', quote E'\\x02')`;

    const state = { rows: 0, total, startedAt: Date.now() };
    const progress = opts.progress ? startExportProgress(state, opts.progressStream) : null;
    let headerPending = opts.format === 'csv';
    // Counts lines as they pass: one per member (a CSV field with a line break in it would count twice,
    // so the count is capped at the total; it drives the progress bar only).
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        let n = 0;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
        if (headerPending && n) {
          n--;
          headerPending = false;
        }
        state.rows = Math.min(total, state.rows + n);
        done(null, chunk);
      },
    });
    const target: NodeJS.WritableStream = partial ? fs.createWriteStream(partial, { flags: 'wx', mode: 0o600 }) : (opts.stream ?? process.stdout);
    try {
      const source = client.query(copyTo(copy));
      if (partial || opts.stream) await pipeline(source, counter, target as Writable);
      else await pipeline(source, counter, new Writable({ write: (c, _e, cb) => (process.stdout.write(c) ? cb() : process.stdout.once('drain', () => cb())) }));
    } finally {
      progress?.stop();
    }
    await client.query('commit');
    committed = true;
    if (partial) fs.renameSync(partial, opts.out!);
    return {
      segmentId: toGlobalId('Segment', opts.segmentId), segmentName: segment.name, purpose: opts.purpose.toUpperCase(), channel: opts.channel.toUpperCase(),
      format: opts.format, rows: total, columns: columns.map((c) => c.name), file: opts.out ?? null, auditRequestId: requestId, seconds: (Date.now() - started) / 1000,
    };
  } catch (err) {
    if (!committed) await client.query('rollback').catch(() => undefined);
    if (partial) fs.rmSync(partial, { force: true });
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}
