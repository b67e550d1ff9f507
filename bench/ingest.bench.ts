// First: the environment libraries read when they load (production, as a deployed server runs).
import './production-env';
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import inspector from 'node:inspector';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { adminQuery, withDatabase } from '../src/db/pg-admin';
import { backendCpu, backendCpuSince } from './pg-backend-cpu';
import { initOrm, migrate } from '../src/db/orm';
import { runImport } from '../src/import/run-import';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import { createServer } from '../src/server';
import { signToken } from '../src/auth/jwt';
import { Role } from '../src/auth/viewer';

/**
 * npm run bench:ingest — in a scratch database on BENCH_DATABASE_URL (default
 * postgres://postgres@127.0.0.1:5432/postgres), with INGEST_ROWS/10 customers known by email:
 *   (a) the import path (`runImport`, as `npm run import` runs it) on an NDJSON file of INGEST_ROWS
 *       interactions (default 200,000) that name their customer by email, and
 *   (b) raw COPY of the same rows, customer and product ids already resolved, from a TSV file into
 *       the same interactions table (same indexes and foreign keys), through pg-copy-streams;
 * prints rows/s of both and the ratio (target import/raw ≥ 0.5), then ingestEvents over HTTP when
 * bench/ingest-events.load.ts exists (target 10,000 events/s) with the CPU time per 1,000 events of
 * the server (this process) and of its PostgreSQL backends over the measured phase, and this
 * process's peak RSS. INGEST_SKIP_IMPORT=1 measures ingestEvents only, INGEST_SKIP_EVENTS=1 the import only; INGEST_CPU_PROF=file writes a
 * V8 CPU profile of the server over the measured phase (INGEST_HEAP_PROF=file a sampling allocation profile); INGEST_CONCURRENT_BATCHES is the server's.
 * The process runs with NODE_ENV=production (bench/production-env.ts; INGEST_NODE_ENV overrides).
 */
const ADMIN = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const ROWS = Number(process.env.INGEST_ROWS ?? 200_000);
const CUSTOMERS = Math.max(1, Math.floor(ROWS / 10));
const EVENTS = Number(process.env.INGEST_EVENTS ?? 50_000);
const DB = `rapport_bench_ingest_${process.pid}`;
const JWT_SECRET = 'bench-secret-that-is-at-least-32-characters-long';

const occurred = (i: number) => new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString();

async function writeLines(file: string, n: number, make: (i: number) => string): Promise<void> {
  const out = fs.createWriteStream(file);
  for (let i = 0; i < n; i++) if (!out.write(make(i))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

async function main(): Promise<void> {
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-bench-ingest-'));
  await adminQuery(ADMIN, `drop database if exists ${DB} with (force)`);
  await adminQuery(ADMIN, `create database ${DB}`);
  const url = withDatabase(ADMIN, DB);
  const c = new Client({ connectionString: url });
  try {
    const orm = await initOrm(url, { poolMax: 4 });
    await migrate(orm);
    await orm.close();
    await c.connect();
    await c.query(`insert into customers (id, email) select md5('bench-c' || g)::uuid, 'c' || g || '@bench.example' from generate_series(0, $1 - 1) g`, [CUSTOMERS]);
    await c.query(`insert into identities (customer_id, kind, namespace, value) select id, 'email', '', email from customers`);
    await c.query(`insert into products (id, sku, name, category, price_minor, currency)
                   select md5('bench-p' || g)::uuid, 'SKU-' || g, 'Product ' || g, 'bench', 1000 + g, 'EUR' from generate_series(0, 199) g`);
    await c.query('vacuum analyze');
    const { rows: ids } = await c.query<{ g: number; id: string }>(`select g, md5('bench-c' || g)::uuid::text as id from generate_series(0, $1 - 1) g order by g`, [CUSTOMERS]);
    const { rows: pids } = await c.query<{ id: string }>(`select md5('bench-p' || g)::uuid::text as id from generate_series(0, 199) g order by g`);

    const ndjson = path.join(dir, 'interactions.ndjson');
    const tsv = path.join(dir, 'interactions.tsv');
    // The same rows in both files: one in three names a product.
    await writeLines(ndjson, ROWS, (i) => JSON.stringify({
      type: 'interaction', source: 'bench', source_event_id: `ev-${i}`, email: `c${i % CUSTOMERS}@bench.example`, occurred_at: occurred(i),
      channel: 'web', interaction_type: 'product_view', ...(i % 3 === 0 ? { product_sku: `SKU-${i % 200}` } : {}), properties: { i },
    }) + '\n');
    await writeLines(tsv, ROWS, (i) => [ids[i % CUSTOMERS].id, occurred(i), 'web', 'product_view', i % 3 === 0 ? pids[i % 200].id : '\\N', '\\N', JSON.stringify({ i }), 'bench', `ev-${i}`].join('\t') + '\n');
    console.log(`generated ${ROWS} interactions for ${CUSTOMERS} customers (NDJSON ${(fs.statSync(ndjson).size / 1e6).toFixed(1)} MB)`);

    // (b) raw COPY first, then the table is emptied for (a): both write into the same empty table.
    if (process.env.INGEST_SKIP_IMPORT) {
      console.log('import and raw COPY:            skipped (INGEST_SKIP_IMPORT)');
      await benchIngestEvents(url);
      return;
    }
    await c.query('checkpoint');
    const rawPg = await pgCpuSampler(url);
    let t = performance.now();
    await pipeline(fs.createReadStream(tsv), c.query(copyFrom(`copy interactions (customer_id, occurred_at, channel, type, product_id, campaign, properties, source, source_event_id) from stdin`)));
    const rawS = (performance.now() - t) / 1000;
    const rawPgS = await rawPg.stop();
    await c.query('truncate interactions');
    await c.query('vacuum analyze interactions');
    await c.query('checkpoint');

    const importPg = await pgCpuSampler(url);
    const cpu0 = process.cpuUsage();
    t = performance.now();
    const summary = await runImport(url, { file: ndjson, format: 'ndjson', rejectsPath: path.join(dir, 'rejects.ndjson'), progress: false, chunkSize: Number(process.env.INGEST_CHUNK ?? 25_000) });
    const importS = (performance.now() - t) / 1000;
    const importCpu = process.cpuUsage(cpu0);
    const importPgS = await importPg.stop();
    const { rows: [{ n }] } = await c.query(`select count(*)::int as n from interactions`);
    if (n !== ROWS || summary.imported !== ROWS) throw new Error(`import stored ${n} rows (summary ${JSON.stringify(summary)}), expected ${ROWS}`);

    const rawRate = ROWS / rawS;
    const importRate = ROWS / importS;
    console.log(`raw COPY into interactions:     ${rawRate.toFixed(0).padStart(8)} rows/s (${rawS.toFixed(2)} s)`);
    console.log(`import path (npm run import):   ${importRate.toFixed(0).padStart(8)} rows/s (${importS.toFixed(2)} s, ${summary.chunks} chunks)`);
    console.log(`ratio import / raw COPY:        ${(importRate / rawRate).toFixed(2)} (target ≥ 0.5: ${importRate / rawRate >= 0.5 ? 'met' : 'NOT met'}; load average ${os.loadavg()[0].toFixed(1)})`);
    // CPU seconds (sampled every 100 ms from /proc, so up to 0.1 s of a backend's last moments is missed).
    const importNodeS = (importCpu.user + importCpu.system) / 1e6;
    console.log(`  CPU: raw COPY PostgreSQL ${rawPgS.toFixed(1)} s; import PostgreSQL ${importPgS.toFixed(1)} s + import process ${importNodeS.toFixed(1)} s (CPU ratio raw / import ${(rawPgS / (importPgS + importNodeS)).toFixed(2)})`);
    if (process.env.INGEST_SKIP_EVENTS) return;

    await benchIngestEvents(url);
  } finally {
    clearInterval(sampler);
    console.log(`peak RSS of this process:       ${(peakRss / 1024 / 1024).toFixed(0)} MiB (${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)})`);
    await c.end().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
    if (!process.env.BENCH_KEEP) await adminQuery(ADMIN, `drop database if exists ${DB} with (force)`);
  }
}

/**
 * CPU seconds of the PostgreSQL backends of the bench database from now until stop(), sampled every
 * 100 ms (backends that end before stop(), like the import's pool, count up to their last sample).
 */
async function pgCpuSampler(url: string): Promise<{ stop(): Promise<number> }> {
  const monitor = new Client({ connectionString: url });
  await monitor.connect();
  const first = await backendCpu(monitor, DB);
  const last = new Map(first);
  let busy = false;
  const sample = async () => {
    if (busy) return;
    busy = true;
    try {
      for (const [pid, s] of await backendCpu(monitor, DB)) if (s > 0) last.set(pid, s);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void sample().catch(() => {}), 100);
  return {
    async stop() {
      clearInterval(timer);
      while (busy) await new Promise((r) => setTimeout(r, 5));
      await sample();
      await monitor.end();
      let s = 0;
      for (const [pid, t] of last) s += t - (first.get(pid) ?? 0);
      return s;
    },
  };
}

interface IngestLoad {
  runIngestEventsLoad(
    opts: { url: string; token: string; events: number; batchSize: number; concurrency: number; customers?: number; products?: number },
    onMark?: (phase: 'start' | 'end') => Promise<void>,
  ): Promise<{ eventsPerSecond?: number; events?: number } & Record<string, unknown>>;
}

/** ingestEvents over HTTP through the real server, with the load driver of the ingestEvents work. */
async function benchIngestEvents(url: string): Promise<void> {
  const driver = path.join(__dirname, 'ingest-events.load');
  if (!fs.existsSync(`${driver}.js`) && !fs.existsSync(`${driver}.ts`)) {
    console.log('ingestEvents over HTTP:         not measured (bench/ingest-events.load.ts is not in this tree)');
    return;
  }
  const { runIngestEventsLoad } = (await import(driver)) as IngestLoad;
  // Production requires PSEUDONYM_KEYS (a key of the bench's own unless one is set).
  const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET, DATABASE_URL: url, LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0', PSEUDONYM_KEYS: process.env.PSEUDONYM_KEYS!, ...(process.env.INGEST_CONCURRENT_BATCHES ? { INGEST_CONCURRENT_BATCHES: process.env.INGEST_CONCURRENT_BATCHES } : {}) });
  const orm = await initOrm(url, { poolMax: config.dbPoolMax });
  const server = await createServer({ orm, config, logger: createLogger(config) });
  // CPU of the measured phase: this process (the server; the load generator is a child process of
  // its own) and the PostgreSQL backends of the bench database. Unlike events/s, these do not
  // depend on what else the machine is running.
  const monitor = new Client({ connectionString: url });
  await monitor.connect();
  let cpu0 = process.cpuUsage();
  let pg0 = new Map<number, number>();
  let serverCpuS = NaN;
  let pgCpuS = NaN;
  // INGEST_CPU_PROF=file.cpuprofile: a V8 CPU profile of the server over the measured phase only;
  // INGEST_HEAP_PROF=file.heapprofile: a sampling profile of what it allocated there (every object,
  // collected or not: where the young generation's garbage comes from).
  const profile = process.env.INGEST_CPU_PROF || process.env.INGEST_HEAP_PROF ? new inspector.Session() : null;
  const post = (method: string, params?: object) => new Promise<unknown>((resolve, reject) => profile!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  const onMark = async (phase: 'start' | 'end') => {
    if (phase === 'start') {
      pg0 = await backendCpu(monitor, DB);
      if (profile) profile.connect();
      if (process.env.INGEST_CPU_PROF) {
        await post('Profiler.enable');
        await post('Profiler.setSamplingInterval', { interval: 500 });
        await post('Profiler.start');
      }
      if (process.env.INGEST_HEAP_PROF) {
        await post('HeapProfiler.enable');
        await post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      }
      cpu0 = process.cpuUsage();
      return;
    }
    const d = process.cpuUsage(cpu0);
    if (process.env.INGEST_CPU_PROF) {
      const { profile: p } = (await post('Profiler.stop')) as { profile: object };
      fs.writeFileSync(process.env.INGEST_CPU_PROF, JSON.stringify(p));
    }
    if (process.env.INGEST_HEAP_PROF) {
      const { profile: p } = (await post('HeapProfiler.stopSampling')) as { profile: object };
      fs.writeFileSync(process.env.INGEST_HEAP_PROF, JSON.stringify(p));
    }
    profile?.disconnect();
    serverCpuS = (d.user + d.system) / 1e6;
    pgCpuS = await backendCpuSince(monitor, DB, pg0);
  };
  try {
    const port = await server.listen(0, '127.0.0.1');
    const token = await signToken(JWT_SECRET, { sub: 'bench-admin', role: Role.ADMIN }, '2h');
    const r = await runIngestEventsLoad({ url: `http://127.0.0.1:${port}/graphql`, token, events: EVENTS, batchSize: Number(process.env.INGEST_BATCH ?? 500), concurrency: Number(process.env.INGEST_CONCURRENCY ?? 8), customers: CUSTOMERS, products: 200 }, onMark);
    const eps = Number(r.eventsPerSecond ?? NaN);
    console.log(`ingestEvents over HTTP:         ${eps.toFixed(0).padStart(8)} events/s (target 10,000: ${eps >= 10_000 ? 'met' : 'NOT met'}; load average ${os.loadavg()[0].toFixed(1)}) ${JSON.stringify(r)}`);
    const per1k = (s: number) => ((s * 1000 * 1000) / EVENTS).toFixed(0).padStart(5);
    const loadGen = Number(r.loadGeneratorCpuMsPer1000 ?? NaN);
    const total = (serverCpuS + pgCpuS) * 1e6 / EVENTS + (Number.isNaN(loadGen) ? 0 : loadGen);
    console.log(`  CPU per 1,000 events:         server ${per1k(serverCpuS)} ms, PostgreSQL backends ${per1k(pgCpuS)} ms (${serverCpuS.toFixed(1)} s + ${pgCpuS.toFixed(1)} s for ${EVENTS} events), load generator ${loadGen} ms; total ${total.toFixed(0)} ms (10,000 events/s on ${os.cpus().length} cores leaves ${(os.cpus().length * 100).toFixed(0)} ms)`);
  } finally {
    await monitor.end().catch(() => {});
    await server.close();
    await orm.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
