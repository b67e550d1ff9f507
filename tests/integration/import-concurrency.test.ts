import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase } from '../helpers/test-server';
import { runImport, type ImportSummary } from '../../src/import/run-import';

// Two imports, or an import and another writer, naming the same event keys at the same time: the
// import's fast path COPies keys into the ledger, where a concurrent writer of the same keys makes it
// wait, fail on a unique violation, or (locks taken in opposite orders) deadlock. Whatever happens,
// every record is stored once and answered once (imported or duplicate), and no import fails.
let db: { url: string; drop(): Promise<void> };
let sql: Client;
let dir: string;
const CUSTOMERS = 20;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = new Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`insert into customers (id, email) select md5('cc-c' || g)::uuid, 'c' || g || '@conc.example' from generate_series(0, $1 - 1) g`, [CUSTOMERS]);
  await sql.query(`insert into identities (customer_id, kind, namespace, value) select id, 'email', '', email from customers`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-import-conc-'));
});

afterAll(async () => {
  await sql.end();
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Interaction i of source `source`: the same content whichever file carries it. */
const record = (source: string, i: number) => JSON.stringify({
  type: 'interaction', source, source_event_id: `k-${String(i).padStart(5, '0')}`, email: `c${i % CUSTOMERS}@conc.example`,
  occurred_at: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(), channel: 'web', interaction_type: 'product_view', properties: { i },
});

function file(name: string, source: string, indexes: number[]): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, indexes.map((i) => record(source, i)).join('\n') + '\n');
  return f;
}

const run = (f: string, chunkSize: number) => runImport(db.url, { file: f, format: 'ndjson', rejectsPath: `${f}.rejects`, progress: false, chunkSize });

async function stored(source: string): Promise<{ interactions: number; keys: number; distinctKeys: number; ledger: number; keyRows: number }> {
  const { rows: [r] } = await sql.query(
    `select (select count(*)::int from interactions where source = $1) as interactions,
            (select count(distinct source_event_id)::int from interactions where source = $1) as "distinctKeys",
            (select count(*)::int from interactions where source = $1 and source_event_id is not null) as keys,
            (select count(*)::int from ingest_events where source = $1 and result is not null) as ledger,
            (select count(*)::int from interaction_event_keys where source = $1) as "keyRows"`,
    [source],
  );
  return r;
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

describe('concurrent imports', () => {
  it('two imports of overlapping files, in opposite orders, store every record once and answer the overlap as duplicates', async () => {
    const a = file('a.ndjson', 'overlap', range(0, 600));
    const b = file('b.ndjson', 'overlap', range(300, 900).reverse());
    const results: ImportSummary[] = await Promise.all([run(a, 150), run(b, 150)]);
    for (const r of results) expect(r.rejected).toBe(0);
    expect(results[0].imported + results[1].imported).toBe(900);
    expect(results[0].duplicates + results[1].duplicates).toBe(300);
    expect(await stored('overlap')).toEqual({ interactions: 900, keys: 900, distinctKeys: 900, ledger: 900, keyRows: 900 });
  }, 120_000);

  it('a deadlock of the fast path with another writer of the same keys sends the window to the core: nothing lost, nothing twice', async () => {
    const n = 200;
    const f = file('deadlock.ndjson', 'deadlock', range(0, n));
    const first = 'k-00000';
    const last = `k-${String(n - 1).padStart(5, '0')}`;
    // The import's connections check for a deadlock after 2 s of waiting, this session only after a
    // minute: when the cycle closes, the import is the one that finds it (and is chosen to fail).
    await sql.query(`alter database ${db.url.split('/').pop()} set deadlock_timeout = '2s'`);
    const other = new Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query(`set deadlock_timeout = '60s'`);
      await other.query('begin');
      // Another writer holds the last key of the window (sorted), uncommitted.
      await other.query(`insert into ingest_events (source, idempotency_key, kind, content_hash) values ('deadlock', $1, 'INTERACTION', 'other')`, [last]);
      const importing = run(f, n);
      // The import's COPY reaches that key and waits for this transaction…
      for (;;) {
        const { rows } = await sql.query(
          `select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid not in ($1, pg_backend_pid())`,
          [(other as unknown as { processID: number }).processID],
        );
        if (rows.length) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // …and this transaction now waits for the first key, which the import's COPY holds: a cycle.
      await other.query(`insert into ingest_events (source, idempotency_key, kind, content_hash) values ('deadlock', $1, 'INTERACTION', 'other')`, [first]);
      // The import's COPY was rolled back (this insert went through); this writer gives up its keys.
      await other.query('rollback');
      const summary = await importing;
      expect(summary).toMatchObject({ imported: n, duplicates: 0, rejected: 0, copiedDirectly: 0 });
      expect(await stored('deadlock')).toEqual({ interactions: n, keys: n, distinctKeys: n, ledger: n, keyRows: n });
    } finally {
      await other.end();
      await sql.query(`alter database ${db.url.split('/').pop()} reset deadlock_timeout`);
    }
  }, 120_000);
});
