import fs from 'node:fs';
import { once } from 'node:events';
import { Client } from 'pg';
import type { CountryCode } from 'libphonenumber-js';
import {
  RecordKind, RejectCode, RowError, parseKind, validateCustomer, validateInteraction, validateOrder, validateOrderHead, validateOrderLine,
  type RawRow, type StagedLine, type StagedRecord, type ValidateOptions,
} from './import-record';
import { readCsv, readNdjson, type ByteCounter, type SourceRow } from './readers';
import { STAGE_DDL, StageWriter } from './staging';
import type { Keyring } from '../auth/pseudonyms';
import { resolveChunk, type ChunkOutcome, type RejectRow } from './resolve-chunk';
import { startProgress, type ProgressState } from './progress';
import { ingestDeferred } from './to-core';
import { initOrm } from '../db/orm';
import { defaultPolicy } from '../ingestion/identify';
import type { MergePolicy } from '../services/merge-policy';
import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { MAX_ORDER_LINES } from '../ingestion/orders';

export type ImportFormat = 'ndjson' | 'csv';

export interface ImportOptions {
  file: string;
  format: ImportFormat;
  /** CSV: the one kind of record the file holds. */
  kind?: RecordKind;
  rejectsPath: string;
  chunkSize?: number;
  defaultSource?: string;
  defaultCountry?: CountryCode;
  progress?: boolean;
  plainProgressEveryMs?: number;
  /** PSEUDONYM_KEYS (suppressed identifiers are matched under each); default: the environment's. */
  keyring?: Keyring;
  /** Default: MERGE_POLICY of the environment. */
  policy?: MergePolicy;
}

export interface ImportSummary {
  file: string;
  read: number;
  imported: number;
  duplicates: number;
  rejected: number;
  customersCreated: number;
  chunks: number;
  seconds: number;
  rowsPerSecond: number;
  rejectsFile: string;
  peakRssMb: number;
}

export function formatFromPath(file: string): ImportFormat | undefined {
  if (/\.(ndjson|jsonl)$/i.test(file)) return 'ndjson';
  if (/\.csv$/i.test(file)) return 'csv';
  return undefined;
}

/** Line-delimited JSON rejects, written in order of discovery (validation in JS first, SQL per chunk). */
class RejectsFile {
  private out: fs.WriteStream;
  count = 0;
  constructor(readonly path: string) {
    this.out = fs.createWriteStream(path);
  }
  async write(rows: Array<{ line: number; kind: string | null; code: string; message: string; field?: string | null }>): Promise<void> {
    if (!rows.length) return;
    this.count += rows.length;
    const text = rows.map((r) => JSON.stringify({ line: r.line, kind: r.kind, code: r.code, message: r.message, field: r.field ?? null })).join('\n') + '\n';
    if (!this.out.write(text)) await once(this.out, 'drain');
  }
  async close(): Promise<void> {
    this.out.end();
    await once(this.out, 'finish');
  }
}

interface CsvOrderGroup {
  key: string;
  head?: StagedRecord;
  headError?: RowError;
  rows: Array<{ line: number; error?: RowError }>;
  lines: StagedLine[];
}

/**
 * Streams FILE into the database in chunks: rows are validated in JS with the API's normalisers,
 * copied into a TEMP staging table, and resolved set-based per chunk (resolve-chunk.ts). Two
 * connections take turns, so the next chunk is parsed and copied while the previous one resolves;
 * chunks still commit one after the other, in file order. Memory holds at most one batch of rows
 * per connection, whatever the file's size.
 */
export async function runImport(databaseUrl: string, opts: ImportOptions): Promise<ImportSummary> {
  const chunkSize = opts.chunkSize ?? 100_000;

  const totalBytes = fs.statSync(opts.file).size;
  const counter: ByteCounter = { bytesRead: 0 };
  const state: ProgressState = { rowsRead: 0, bytesRead: 0, totalBytes, startedAt: Date.now() };
  const rejects = new RejectsFile(opts.rejectsPath);
  const totals = { imported: 0, duplicates: 0, rejected: 0, customersCreated: 0, chunks: 0 };

  const policy = opts.policy ?? defaultPolicy();
  const vopts: ValidateOptions = { defaultSource: opts.defaultSource ?? 'import', defaultCountry: opts.defaultCountry, policy };
  // Opened on the first record the set-based path defers to the ingestion core (most files have none).
  let orm: MikroORM | undefined;
  const slots: Array<{ client: Client; busy: Promise<void> }> = [];
  for (let i = 0; i < 2; i++) {
    const client = new Client({ connectionString: databaseUrl, application_name: 'rapport-import' });
    await client.connect();
    await client.query(`set synchronous_commit = off`);
    await client.query(STAGE_DDL);
    slots.push({ client, busy: Promise.resolve() });
  }
  const progress = opts.progress === false ? undefined : startProgress(state, process.stderr, { plainEveryMs: opts.plainProgressEveryMs });
  const syncProgress = setInterval(() => (state.bytesRead = counter.bytesRead), 100);

  let fatal: unknown;
  let chain: Promise<void> = Promise.resolve();
  let slot = 0;
  let writer: StageWriter | undefined;

  const add = (o: ChunkOutcome) => {
    totals.imported += o.imported;
    totals.duplicates += o.duplicates;
    totals.rejected += o.rejected;
    totals.customersCreated += o.customersCreated;
    totals.chunks++;
  };
  const sqlRejects = (rows: RejectRow[]) => rejects.write(rows);
  const endChunk = async () => {
    if (!writer) return;
    const w = writer;
    writer = undefined;
    await w.end();
    const s = slots[slot];
    chain = chain
      .then(async () => {
        if (fatal) return;
        const o = await resolveChunk(s.client, sqlRejects, opts.keyring);
        add(o);
        if (!o.deferred.length) return;
        orm ??= await initOrm(databaseUrl, { poolMax: 1 });
        const c = await ingestDeferred(orm.em as EntityManager, o.deferred, policy, opts.keyring);
        totals.imported += c.imported;
        totals.duplicates += c.duplicates;
        totals.rejected += c.rejected.length;
        await rejects.write(c.rejected);
      })
      .catch((err) => {
        fatal ??= err;
      });
    s.busy = chain;
    slot ^= 1;
  };
  const stage = async (r: StagedRecord) => {
    if (!writer) {
      await slots[slot].busy;
      if (fatal) throw fatal;
      writer = new StageWriter(slots[slot].client);
    }
    await writer.write(r);
    if (writer.rows >= chunkSize) await endChunk();
  };
  const reject = async (line: number, kind: string | null, err: unknown) => {
    if (!(err instanceof RowError)) throw err;
    totals.rejected++;
    await rejects.write([{ line, kind, code: err.code, message: err.message, field: err.field }]);
  };

  // CSV orders: consecutive rows with the same (source, external_id) are the lines of one order.
  let group: CsvOrderGroup | undefined;
  const flushGroup = async () => {
    const g = group;
    group = undefined;
    if (!g) return;
    const failed = g.rows.find((r) => r.error);
    if (!failed && g.head) {
      g.head.lines = g.lines;
      g.head.lineNumbers = g.rows.map((r) => r.line);
      await stage(g.head);
      return;
    }
    for (const r of g.rows) {
      const err = r.error ?? new RowError(RejectCode.ORDER_LINE_REJECTED, `another row of this order was rejected (line ${failed!.line}): the order is not imported`, 'external_id');
      await reject(r.line, RecordKind.ORDER, err);
    }
  };
  const csvOrderRow = async (line: number, row: RawRow) => {
    const ext = typeof row.external_id === 'string' ? row.external_id.trim() : '';
    const key = ext ? `${typeof row.source === 'string' && row.source.trim() ? row.source.trim() : vopts.defaultSource}\u0001${ext}` : `\u0000${line}`;
    if (group && group.key !== key) await flushGroup();
    if (!group) {
      group = { key, rows: [], lines: [] };
      try {
        group.head = validateOrderHead(row, line, vopts);
      } catch (err) {
        if (!(err instanceof RowError)) throw err;
        group.headError = err;
      }
    }
    const entry: { line: number; error?: RowError } = { line, error: group.rows.length === 0 ? group.headError : undefined };
    if (!entry.error) {
      try {
        if (group.lines.length >= MAX_ORDER_LINES) throw new RowError(RejectCode.INVALID_VALUE, `an order has at most ${MAX_ORDER_LINES} lines`, 'sku');
        group.lines.push(validateOrderLine(row));
      } catch (err) {
        if (!(err instanceof RowError)) throw err;
        entry.error = err;
      }
    }
    group.rows.push(entry);
  };

  const handle = async (r: SourceRow) => {
    state.rowsRead++;
    if ('parseError' in r) {
      await reject(r.line, null, new RowError(opts.format === 'csv' ? RejectCode.INVALID_CSV : RejectCode.INVALID_JSON, r.parseError));
      return;
    }
    let kind: RecordKind | null = opts.kind ?? null;
    try {
      if (opts.format === 'ndjson') kind = parseKind(r.row.type);
      if (kind === RecordKind.ORDER && opts.format === 'csv') return await csvOrderRow(r.line, r.row);
      const staged = kind === RecordKind.CUSTOMER ? validateCustomer(r.row, r.line, vopts)
        : kind === RecordKind.ORDER ? validateOrder(r.row, r.line, vopts)
          : validateInteraction(r.row, r.line, vopts);
      await stage(staged);
    } catch (err) {
      await reject(r.line, kind, err);
    }
  };

  const started = Date.now();
  try {
    const reader = opts.format === 'csv' ? readCsv(opts.file, counter) : readNdjson(opts.file, counter);
    for await (const batch of reader) {
      for (const r of batch) await handle(r);
      if (fatal) throw fatal;
    }
    await flushGroup();
    await endChunk();
    await chain;
    if (fatal) throw fatal;
  } finally {
    clearInterval(syncProgress);
    state.bytesRead = counter.bytesRead;
    progress?.stop();
    await chain.catch(() => {});
    for (const s of slots) await s.client.end().catch(() => {});
    await orm?.close();
    await rejects.close();
  }
  const seconds = (Date.now() - started) / 1000;
  return {
    file: opts.file,
    read: state.rowsRead,
    imported: totals.imported,
    duplicates: totals.duplicates,
    rejected: totals.rejected,
    customersCreated: totals.customersCreated,
    chunks: totals.chunks,
    seconds: Number(seconds.toFixed(3)),
    rowsPerSecond: Math.round(state.rowsRead / Math.max(seconds, 0.001)),
    rejectsFile: opts.rejectsPath,
    // ru_maxrss: the process's peak resident set, in KiB on Linux.
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}
