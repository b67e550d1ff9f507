import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Writable } from 'node:stream';
import type { StagedRecord } from './import-record';

export const STAGE_TABLE = 'import_stage';

/**
 * A TEMP table (per session, never WAL-logged, gone with the connection even after a crash):
 * every kind in one wide row, so one COPY stream carries a mixed file.
 */
export const STAGE_DDL = `create temp table if not exists ${STAGE_TABLE} (
  line int not null, line_numbers int[], kind text not null, source text not null, ids jsonb not null,
  first_name text, last_name text, email text, phone text, locale text, birth_date date, traits jsonb,
  external_id text, at timestamptz, channel text, status text, currency text, discount_minor bigint, lines jsonb,
  event_id text, itype text, sku text, campaign text, properties jsonb
)`;

const COLUMNS = 'line, line_numbers, kind, source, ids, first_name, last_name, email, phone, locale, birth_date, traits, external_id, at, channel, status, currency, discount_minor, lines, event_id, itype, sku, campaign, properties';

const SPECIAL = /[\\\n\r\t]/;

/** COPY text format: backslash, newline, CR and tab escaped; NULL is \N. */
export function esc(v: string | null | undefined): string {
  if (v === null || v === undefined) return '\\N';
  return SPECIAL.test(v) ? v.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t')) : v;
}

const json = (v: unknown) => (v === null || v === undefined ? '\\N' : esc(JSON.stringify(v)));
const num = (v: number | null | undefined) => (v === null || v === undefined ? '\\N' : String(v));

export function copyLine(r: StagedRecord): string {
  return [
    String(r.line), r.lineNumbers ? `{${r.lineNumbers.join(',')}}` : '\\N', r.kind, esc(r.source), json(r.ids),
    esc(r.firstName), esc(r.lastName), esc(r.email), esc(r.phone), esc(r.locale), esc(r.birthDate), json(r.traits),
    esc(r.externalId), esc(r.at), esc(r.channel), esc(r.status), esc(r.currency), num(r.discountMinor), json(r.lines),
    esc(r.eventId), esc(r.itype), esc(r.sku), esc(r.campaign), json(r.properties),
  ].join('\t') + '\n';
}

/** A COPY into the staging table that respects backpressure: `write` waits while the socket is full. */
export class StageWriter {
  private stream: Writable;
  private done: Promise<void>;
  private failed: Error | undefined;
  rows = 0;

  constructor(client: Client) {
    this.stream = client.query(copyFrom(`copy ${STAGE_TABLE} (${COLUMNS}) from stdin`));
    this.done = new Promise((resolve, reject) => {
      this.stream.on('finish', resolve);
      this.stream.on('error', (err) => {
        this.failed = err;
        reject(err);
      });
    });
    this.done.catch(() => {});
  }

  async write(r: StagedRecord): Promise<void> {
    if (this.failed) throw this.failed;
    this.rows++;
    if (!this.stream.write(copyLine(r))) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => { this.stream.off('error', onError); resolve(); };
        const onError = (e: Error) => { this.stream.off('drain', onDrain); reject(e); };
        this.stream.once('drain', onDrain);
        this.stream.once('error', onError);
      });
    }
  }

  async end(): Promise<void> {
    this.stream.end();
    await this.done;
  }
}
