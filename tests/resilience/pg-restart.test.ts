import fs from 'node:fs';
import path from 'node:path';
import { scratchDir } from '../helpers/seed-cache';
import { startMigratedPgProcess, startPgProcess, type PgProcess } from '../helpers/embedded-pg-process';
import { initOrm, migrate } from '../../src/db/orm';
import { createServer, type RapportServer } from '../../src/server';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { signToken } from '../../src/auth/jwt';
import { Role } from '../../src/auth/viewer';
import type { MikroORM } from '@mikro-orm/postgresql';

/**
 * PostgreSQL restarts in the middle of an ingest load (single recordInteraction calls and ingestEvents
 * batches). Clients retry every event they were not told succeeded, with the same sourceEventId or
 * idempotency key. Afterwards every acknowledged event is stored exactly once,
 * and the service answered ready again without being restarted itself.
 * Runs on an embedded PostgreSQL of its own (in a child process), so stopping it disturbs no other test.
 */
const SECRET = 'restart-test-secret-at-least-32-characters';
const PORT = 54333;
let dataDir: string;
let pg: PgProcess;
let orm: MikroORM;
let server: RapportServer;
let base: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(scratchDir(), 'rapport-restart-'));
  fs.chmodSync(dataDir, 0o755);
  // A copy of an initialised cluster whose database is migrated (made once, seed-cache.ts); migrate() then finds nothing to do.
  pg = await startMigratedPgProcess(path.join(dataDir, 'pg'), PORT);
  orm = await initOrm(pg.url, { poolMax: 8 });
  await migrate(orm);
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: pg.url, JWT_SECRET: SECRET, LOG_LEVEL: 'silent' });
  server = await createServer({ orm, config, logger: createLogger(config) });
  base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
}, 60_000);

afterAll(async () => {
  await server?.close();
  await orm?.close(true);
  await pg?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits for a condition, however long the machine takes (the test's own timeout bounds it): a signal, not a time. */
async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await cond())) await sleep(50);
}

it('stores every acknowledged event exactly once across a PostgreSQL restart, and recovers by itself', async () => {
  const token = await signToken(SECRET, { sub: 'ingest', role: Role.ADMIN });
  const gql = async (query: string, variables: Record<string, unknown>) => {
    const res = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
    return { status: res.status, body: (await res.json()) as { data?: any; errors?: Array<{ extensions?: { code?: string } }> } }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const created = await gql(`mutation { upsertCustomer(input: { email: "load@example.com" }) { customer { id } } }`, {});
  const customerId = created.body.data.upsertCustomer.customer.id;

  const acked = new Set<string>();
  const failures = new Map<string, number>();
  let sent = 0;
  let stopLoad = false;
  const send = async (id: string, occurredAt: string) => {
    for (;;) {
      try {
        const r = await gql(
          `mutation($input: RecordInteractionInput!) { recordInteraction(input: $input) { duplicate } }`,
          { input: { customerId, channel: 'WEB', type: 'PAGE_VIEW', sourceEventId: id, occurredAt, properties: { id } } },
        );
        if (r.status === 200 && !r.body.errors) {
          acked.add(id);
          return;
        }
        const code = r.body.errors?.[0]?.extensions?.code ?? `HTTP ${r.status}`;
        failures.set(code, (failures.get(code) ?? 0) + 1);
      } catch {
        failures.set('network', (failures.get('network') ?? 0) + 1);
      }
      await sleep(100);
    }
  };
  const worker = async (w: number) => {
    for (let i = 0; !stopLoad; i++) {
      sent++;
      await send(`evt-${w}-${i}`, new Date(Date.now() - 1000).toISOString());
    }
  };
  // Batch ingestion: 20 events a call; a call that failed is resent whole, same keys, same content.
  const batchWorker = async (w: number) => {
    for (let i = 0; !stopLoad; i++) {
      const occurredAt = new Date(Date.now() - 1000).toISOString();
      const events = Array.from({ length: 20 }, (_, j) => ({
        kind: 'INTERACTION', idempotencyKey: `batch-${w}-${i}-${j}`, customerId,
        interaction: { occurredAt, channel: 'WEB', type: 'PAGE_VIEW', properties: { j } },
      }));
      sent += events.length;
      for (;;) {
        try {
          const r = await gql(`mutation($events: [IngestEventInput!]!) { ingestEvents(events: $events) { results { idempotencyKey status } } }`, { events });
          const results: Array<{ idempotencyKey: string; status: string }> | undefined = r.body.data?.ingestEvents?.results;
          if (r.status === 200 && results) {
            // Stored now or before: acknowledged either way. A rejection would be a bug: the test would never end it.
            for (const x of results) if (x.status !== 'REJECTED') acked.add(x.idempotencyKey);
            if (results.every((x) => x.status !== 'REJECTED')) break;
          }
          const code = r.body.errors?.[0]?.extensions?.code ?? `HTTP ${r.status}`;
          failures.set(code, (failures.get(code) ?? 0) + 1);
        } catch {
          failures.set('network', (failures.get('network') ?? 0) + 1);
        }
        await sleep(100);
      }
    }
  };
  const workers = [...Array.from({ length: 4 }, (_, w) => worker(w)), ...Array.from({ length: 2 }, (_, w) => batchWorker(w))];

  const batchAcks = () => [...acked].filter((k) => k.startsWith('batch-')).length;
  const failed = () => [...failures.values()].reduce((a, b) => a + b, 0);
  // Both kinds of client are under way before the outage (however slowly the machine runs them).
  await until(() => acked.size - batchAcks() >= 10 && batchAcks() >= 20);
  const beforeRestart = acked.size;
  const failedBefore = failed();
  await pg.stop();
  const downReady = await fetch(`${base}/readyz`);
  // The clients ran into the outage before PostgreSQL comes back.
  await until(() => failed() > failedBefore);
  pg = await startPgProcess(path.join(dataDir, 'pg'), PORT);
  // The service was not restarted: it must find its feet on its own.
  let readyAfter = 0;
  await until(async () => {
    readyAfter = (await fetch(`${base}/readyz`)).status;
    return readyAfter === 200;
  });
  // Both kinds of client make progress again after the restart.
  const [singlesAtReady, batchAtReady] = [acked.size - batchAcks(), batchAcks()];
  await until(() => acked.size - batchAcks() >= singlesAtReady + 10 && batchAcks() >= batchAtReady + 20);
  stopLoad = true;
  await Promise.all(workers);

  expect(downReady.status).toBe(503);
  expect(readyAfter).toBe(200);
  expect(acked.size).toBe(sent);
  expect(acked.size).toBeGreaterThan(beforeRestart);
  // The outage was real: some attempts failed and were retried.
  expect([...failures.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

  const rows: Array<{ source_event_id: string; n: number }> = await orm.em.fork().execute(`select source_event_id, count(*)::int as n from interactions group by source_event_id`);
  const stored = new Map(rows.map((r) => [r.source_event_id, r.n]));
  expect(stored.size).toBe(acked.size);
  for (const id of acked) expect(stored.get(id)).toBe(1);
  // The ingestion ledger holds each acknowledged key once, with the row it produced: the batches' and,
  // since recordInteraction is a batch of one through the same core, the single writes' too.
  const ledger: Array<{ idempotency_key: string; ok: boolean }> = await orm.em.fork().execute(
    `select e.idempotency_key, (e.result ->> 'interactionId')::uuid = i.id as ok from ingest_events e join interactions i on i.source = e.source and i.source_event_id = e.idempotency_key`,
  );
  expect(ledger.map((l) => l.idempotency_key).sort()).toEqual([...acked].sort());
  expect(ledger.every((l) => l.ok)).toBe(true);
}, 180_000);
