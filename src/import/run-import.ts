import fs from 'node:fs';
import { once } from 'node:events';
import type { CountryCode } from 'libphonenumber-js';
import {
  RecordKind, RejectCode, RowError, apiErrorCode, parseKind, validateCustomer, validateInteraction, validateOrder, validateOrderHead, validateOrderLine,
  type RawRow, type StagedLine, type StagedRecord, type ValidateOptions,
} from './import-record';
import { readCsv, readNdjson, type ByteCounter, type SourceRow } from './readers';
import type { Keyring } from '../auth/pseudonyms';
import { startProgress, type ProgressState } from './progress';
import { ingestRecords, type RejectRow } from './to-core';
import { YIELD_EVERY, planWindow, writeClean, yieldToEventLoop, type ProductCache, type WindowPlan } from './fast-path';
import { initOrm } from '../db/orm';
import { defaultPolicy } from '../ingestion/identify';
import { OPERATOR_RIGHTS } from '../ingestion/rules';
import type { IngestOptions } from '../ingestion/core';
import type { MergePolicy } from '../services/merge-policy';
import type { EntityManager } from '@mikro-orm/postgresql';
import { MAX_ORDER_LINES } from '../ingestion/orders';
import { auditWrites } from '../auth/audit';
import { randomUUID } from 'node:crypto';

export type ImportFormat = 'ndjson' | 'csv';

/** Records per window (--chunk-size): one fast-path transaction; two or three windows are in memory at once. */
export const MAX_WINDOW = 25_000;

export interface ImportOptions {
  file: string;
  format: ImportFormat;
  /** CSV: the one kind of record the file holds. */
  kind?: RecordKind;
  rejectsPath: string;
  /** Records per window, at most MAX_WINDOW (the default). */
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
  /** Of `imported`, the records COPied straight into their tables (the fast path); the rest went through the ingestion core. */
  copiedDirectly: number;
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
  async write(rows: RejectRow[]): Promise<void> {
    if (!rows.length) return;
    this.count += rows.length;
    const text = rows.map((r) => JSON.stringify({ line: r.line, kind: r.kind, code: r.code, errorCode: r.errorCode ?? apiErrorCode(r.code), message: r.message, field: r.field ?? null })).join('\n') + '\n';
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
 * Streams FILE into the database in windows of `chunkSize` records (README "Bulk import"): rows are
 * validated in JS with the API's normalisers; per window, the records that resolve cleanly are COPied
 * straight into their tables (fast-path.ts) and the others go through the ingestion core
 * (to-core.ts), which merges by MERGE_POLICY, records provenance and answers replays and conflicts as
 * for every other write path. The next window is read and validated while the previous one is
 * written; windows commit one after the other, in file order. Memory holds at most two windows.
 */
export async function runImport(databaseUrl: string, opts: ImportOptions): Promise<ImportSummary> {
  const windowSize = Math.min(opts.chunkSize ?? MAX_WINDOW, MAX_WINDOW);

  const totalBytes = fs.statSync(opts.file).size;
  const counter: ByteCounter = { bytesRead: 0 };
  const state: ProgressState = { rowsRead: 0, bytesRead: 0, totalBytes, startedAt: Date.now() };
  const rejects = new RejectsFile(opts.rejectsPath);
  const totals = { imported: 0, duplicates: 0, rejected: 0, customersCreated: 0, copiedDirectly: 0, chunks: 0 };

  const policy = opts.policy ?? defaultPolicy();
  const vopts: ValidateOptions = { defaultSource: opts.defaultSource ?? 'import', defaultCountry: opts.defaultCountry, policy };
  const requestId = `import:${randomUUID()}`;
  const ingest: IngestOptions = {
    policy, keyring: opts.keyring, rights: OPERATOR_RIGHTS, keyOptional: true, path: 'import',
    // Writes are audited as the API's batches are: one WRITE row per batch naming every customer written, operation "import".
    audit: (em, customerIds) => auditWrites(em, null, requestId, 'import', customerIds),
  };
  // One connection plans the next window while another writes this one (and the core's batches).
  const orm = await initOrm(databaseUrl, { poolMax: 3 });
  await orm.em.getConnection().execute(`select 1`);
  const products: ProductCache = new Map();
  const progress = opts.progress === false ? undefined : startProgress(state, process.stderr, { plainEveryMs: opts.plainProgressEveryMs });
  const syncProgress = setInterval(() => (state.bytesRead = counter.bytesRead), 100);

  let fatal: unknown;
  let chain: Promise<void> = Promise.resolve();
  let pending: StagedRecord[] = [];

  // Whether the last window sent records to the core (which may create people and identities the next
  // window's early plan could not see yet): that plan is then made again, after the commit.
  let coreWrote = false;
  const write = async (plan: WindowPlan) => {
    const em = orm.em.fork() as EntityManager;
    const fast = await writeClean(em, plan, ingest);
    coreWrote = fast.rest.length > 0;
    totals.imported += fast.written;
    totals.copiedDirectly += fast.written;
    const core = await ingestRecords(em, fast.rest, ingest);
    totals.imported += core.imported;
    totals.duplicates += core.duplicates;
    totals.rejected += core.rejected.length;
    totals.customersCreated += core.customersCreated;
    totals.chunks++;
    await rejects.write(core.rejected);
  };
  // IMPORT_TIMING=1: per window, how long reading it took and how long it then waited for the previous
  // window's write (on stderr, with fast-path.ts's steps): which side of the pipeline is the slower.
  const timing = process.env.IMPORT_TIMING === '1';
  let readFrom = performance.now();
  const endChunk = async () => {
    if (!pending.length) return;
    const records = pending;
    pending = [];
    // Planned (read-only lookups, digests) while the previous window is still being written.
    const t0 = performance.now();
    const planned = planWindow(orm.em.fork() as EntityManager, records, products, ingest);
    planned.catch(() => {});
    if (timing) void planned.then(() => process.stderr.write(`${(performance.now() - t0).toFixed(0).padStart(6)} ms  window planned\n`), () => {});
    await chain;
    if (timing) {
      const t = performance.now();
      process.stderr.write(`${(t0 - readFrom).toFixed(0).padStart(6)} ms  window read, then ${(t - t0).toFixed(0)} ms waiting for the previous write\n`);
      readFrom = t;
    }
    if (fatal) throw fatal;
    const plan = coreWrote ? planned.then(() => planWindow(orm.em.fork() as EntityManager, records, products, ingest)) : planned;
    chain = plan.then(write).catch((err) => {
      fatal ??= err;
    });
  };
  const stage = async (r: StagedRecord) => {
    pending.push(r);
    if (pending.length >= windowSize) await endChunk();
  };
  const reject = async (line: number, kind: string | null, err: unknown) => {
    if (!(err instanceof RowError)) throw err;
    totals.rejected++;
    await rejects.write([{ line, kind, code: err.code, message: err.message, field: err.field ?? null }]);
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
      // A batch is the rows of 1 MiB of the file (~4,500 rows): validated in slices, with the event loop
      // handed back in between, so that the previous window's COPY keeps streaming (fast-path.ts).
      for (let i = 0; i < batch.length; i++) {
        if (i > 0 && i % YIELD_EVERY === 0) await yieldToEventLoop();
        await handle(batch[i]);
      }
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
    await orm.close();
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
    copiedDirectly: totals.copiedDirectly,
    chunks: totals.chunks,
    seconds: Number(seconds.toFixed(3)),
    rowsPerSecond: Math.round(state.rowsRead / Math.max(seconds, 0.001)),
    rejectsFile: opts.rejectsPath,
    // ru_maxrss: the process's peak resident set, in KiB on Linux.
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}
