import { fork } from 'node:child_process';

/**
 * Load driver of `npm run bench:ingest` for ingestEvents over HTTP. Runs in a child process of its
 * own, so that building and parsing JSON does not share the server's event loop (nor its CPU time
 * accounting). The event mix, per 100 events:
 *   - 93 interactions (PRODUCT_VIEW, one in three naming a product by sku) of known customers, by email;
 *   -  5 orders of known customers, by email, two lines by sku;
 *   -  2 interactions of people never seen before (new customer and identity: the slow path).
 * Every event has its own idempotency key; the run ends with a replay of the first batches to
 * measure the duplicate path.
 */
export interface IngestLoadOptions {
  url: string;
  token: string;
  events: number;
  batchSize: number;
  concurrency: number;
  /** Customers the bench seeded as c0..c{customers-1}@bench.example. */
  customers?: number;
  /** Products SKU-0..SKU-{products-1}. */
  products?: number;
}

export interface IngestLoadResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  replayEventsPerSecond: number;
  /** CPU time of this load generator (building, sending and reading the batches) per 1,000 events of the measured phase. */
  loadGeneratorCpuMsPer1000: number;
  firstRejection?: unknown;
}

/** Times of event i: EPOCH + i ms, EPOCH chosen so that the last event is a minute in the past. */
let EPOCH = Date.now();

const INGEST = `mutation($events: [IngestEventInput!]!) { ingestEvents(events: $events) { acceptedCount duplicateCount rejectedCount results { status error { code message field } } } }`;

function makeEvent(i: number, run: string, customers: number, products: number): Record<string, unknown> {
  const slot = i % 100;
  const who = (Math.imul(i, 2654435761) >>> 0) % customers;
  // Live traffic: times just behind the clock and rising, so that every event moves last_seen_at.
  const at = new Date(EPOCH + i).toISOString();
  if (slot < 2) {
    return {
      kind: 'INTERACTION', idempotencyKey: `${run}-${i}`, source: 'bench-web', identifiers: [{ kind: 'EMAIL', value: `new-${run}-${i}@bench.example` }],
      interaction: { occurredAt: at, channel: 'WEB', type: 'PAGE_VIEW', properties: { i } },
    };
  }
  if (slot < 7) {
    return {
      kind: 'ORDER', idempotencyKey: `${run}-${i}`, source: 'bench-shop', identifiers: [{ kind: 'EMAIL', value: `c${who}@bench.example` }],
      order: { placedAt: at, channel: 'WEB', currency: 'EUR', lines: [{ sku: `SKU-${i % products}`, quantity: 1 }, { sku: `SKU-${(i + 7) % products}`, quantity: 2 }] },
    };
  }
  return {
    kind: 'INTERACTION', idempotencyKey: `${run}-${i}`, source: 'bench-web', identifiers: [{ kind: 'EMAIL', value: `c${who}@bench.example` }],
    interaction: { occurredAt: at, channel: 'WEB', type: 'PRODUCT_VIEW', ...(i % 3 === 0 ? { sku: `SKU-${i % products}` } : {}), properties: { i } },
  };
}

interface Tally { accepted: number; duplicates: number; rejected: number; requests: number; latencies: number[]; firstRejection?: unknown }

async function drive(opts: IngestLoadOptions, run: string, from: number, to: number): Promise<Tally> {
  const customers = opts.customers ?? 1000;
  const products = opts.products ?? 200;
  const tally: Tally = { accepted: 0, duplicates: 0, rejected: 0, requests: 0, latencies: [] };
  let next = from;
  const worker = async () => {
    while (next < to) {
      const start = next;
      next = Math.min(to, next + opts.batchSize);
      const events = [];
      for (let i = start; i < next; i++) events.push(makeEvent(i, run, customers, products));
      const t = performance.now();
      const res = await fetch(opts.url, {
        method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.token}` }, body: JSON.stringify({ query: INGEST, variables: { events } }),
      });
      const body = (await res.json()) as { data?: { ingestEvents: { acceptedCount: number; duplicateCount: number; rejectedCount: number; results: Array<{ status: string; error: unknown }> } }; errors?: unknown };
      tally.latencies.push(performance.now() - t);
      tally.requests++;
      if (!body.data) throw new Error(`ingestEvents failed: HTTP ${res.status} ${JSON.stringify(body.errors)}`);
      const r = body.data.ingestEvents;
      tally.accepted += r.acceptedCount;
      tally.duplicates += r.duplicateCount;
      tally.rejected += r.rejectedCount;
      if (r.rejectedCount && !tally.firstRejection) tally.firstRejection = r.results.find((x) => x.status === 'REJECTED')?.error;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return tally;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function child(opts: IngestLoadOptions): Promise<IngestLoadResult> {
  const run = `r${Date.now().toString(36)}`;
  EPOCH = Date.now() - 60_000 - opts.events;
  // A short warm-up (JIT, pools) outside the measurement, under keys of its own.
  await drive({ ...opts, concurrency: 1 }, `${run}w`, 0, Math.min(opts.events, opts.batchSize * 2));
  await mark('start');
  const cpu0 = process.cpuUsage();
  let t = performance.now();
  const main = await drive(opts, run, 0, opts.events);
  const seconds = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await mark('end');
  const replayCount = Math.min(opts.events, opts.batchSize * opts.concurrency * 4);
  t = performance.now();
  const replay = await drive(opts, run, 0, replayCount);
  const replaySeconds = (performance.now() - t) / 1000;
  if (replay.duplicates !== replayCount - replay.rejected) throw new Error(`replay stored something: ${JSON.stringify({ ...replay, latencies: undefined })}`);
  const sorted = main.latencies.sort((a, b) => a - b);
  return {
    events: opts.events, seconds: Number(seconds.toFixed(2)), eventsPerSecond: Math.round(opts.events / seconds),
    accepted: main.accepted, duplicates: main.duplicates, rejected: main.rejected, requests: main.requests,
    p50Ms: Math.round(pct(sorted, 50)), p99Ms: Math.round(pct(sorted, 99)), replayEventsPerSecond: Math.round(replayCount / replaySeconds),
    loadGeneratorCpuMsPer1000: Math.round(((cpu.user + cpu.system) / 1000) * (1000 / opts.events)),
    ...(main.firstRejection ? { firstRejection: main.firstRejection } : {}),
  };
}

/** Tells the parent that the measured phase starts or ends, and waits until it has taken its readings. */
function mark(phase: 'start' | 'end'): Promise<void> {
  return new Promise((resolve) => {
    const onAck = (m: { ack?: string }) => {
      if (m.ack !== phase) return;
      process.off('message', onAck);
      resolve();
    };
    process.on('message', onAck);
    process.send!({ mark: phase });
  });
}

/**
 * Runs the load in a child process and returns its figures. `onMark` is called (and awaited) when
 * the measured phase (after the warm-up, before the replay) starts and ends: the caller's CPU readings.
 */
export function runIngestEventsLoad(opts: IngestLoadOptions, onMark?: (phase: 'start' | 'end') => Promise<void>): Promise<IngestLoadResult> {
  return new Promise((resolve, reject) => {
    const proc = fork(__filename, ['--ingest-load-child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: __filename.endsWith('.ts') ? ['-r', 'ts-node/register/transpile-only'] : [] });
    proc.on('message', (m: { ok?: boolean; mark?: 'start' | 'end'; result?: IngestLoadResult; error?: string }) => {
      if (m.mark) {
        void (onMark ? onMark(m.mark) : Promise.resolve()).then(() => proc.send({ ack: m.mark }));
        return;
      }
      if (m.ok) resolve(m.result!);
      else reject(new Error(m.error));
    });
    proc.once('exit', (code) => code !== 0 && reject(new Error(`ingest load child exited with ${code}`)));
    proc.send(opts);
  });
}

if (process.argv.includes('--ingest-load-child')) {
  process.once('message', (opts: IngestLoadOptions) => {
    // Later messages are the parent's acknowledgements of mark().
    child(opts).then(
      (result) => process.send!({ ok: true, result }, () => process.exit(0)),
      (err: Error) => process.send!({ ok: false, error: err.stack ?? String(err) }, () => process.exit(1)),
    );
  });
}
