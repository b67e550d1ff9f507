import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Client } from 'pg';
import { createTestDatabase } from '../helpers/test-server';
import { defaultKeyring } from '../../src/auth/pseudonyms';
import { generateImportRows } from '../../bench/import-rows';
import { TS_NODE_FLAGS } from '../helpers/ts-child';

// The CLI as users run it, in a child process (the .ts sources, so no build step), against a database of its own.
// Each run starts a Node process that loads the app (seconds on a loaded 2-core machine): the tests that run it thrice get time for it.
let db: { url: string; drop(): Promise<void> };
let sql: Client;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = new Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(`insert into products (sku, name, category, price_minor, currency) values
    ('SKU-1', 'One', 'books', 1200, 'EUR'), ('SKU-2', 'Two', 'books', 900, 'USD')`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-import-'));
});

afterAll(async () => {
  await sql.end();
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Summary { read: number; imported: number; duplicates: number; rejected: number; customersCreated: number; seconds: number; peakRssMb: number }

function runCli(args: string[], nodeFlags: string[] = []): Promise<{ code: number | null; summary?: Summary; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, ...TS_NODE_FLAGS, 'src/cli/rapport.ts', 'import', ...args, '--json'], {
      cwd: path.join(__dirname, '..', '..'),
      env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn', TS_NODE_TRANSPILE_ONLY: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => (out += b));
    child.stderr.on('data', (b) => (err += b));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop();
      resolve({ code, summary: last?.startsWith('{') ? JSON.parse(last) : undefined, stderr: err });
    });
  });
}

/**
 * Each CLI run is a fresh Node process that loads the app before it imports a row (its transpiled sources
 * are cached, ts-register.js, so only the first child of a run transpiles them): seconds on a quiet machine,
 * several times that on a loaded one. The bound is for a hung child, not for speed.
 */
const cliTimeout = (runs: number) => runs * 150_000;

const readRejects = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));

/** Every row of every table an import writes, in one hash: equal hashes, nothing changed. */
async function digest(): Promise<string> {
  const { rows } = await sql.query(`select md5(string_agg(x, '|' order by x)) as d from (
      select 'c' || t::text x from customers t union all select 'i' || t::text from identities t union all
      select 'o' || t::text from orders t union all select 'l' || t::text from order_lines t union all
      select 'n' || t::text from interactions t) z`);
  return rows[0].d;
}

const line = (o: Record<string, unknown>) => JSON.stringify(o);

describe('npm run import', () => {
  const mixed = () => path.join(dir, 'mixed.ndjson');

  it('imports a mixed NDJSON file: one customer recognised across rows and sources, orders and interactions attached', async () => {
    fs.writeFileSync(mixed(), [
      line({ type: 'customer', email: ' Ann@Example.COM ', first_name: 'Ann', customer_namespace: 'crm', customer_external_id: 'C-1', source: 'crm' }),
      line({ type: 'customer', phone: '+44 20 7946 0958', customer_namespace: 'CRM', customer_external_id: 'C-1', last_name: 'Lee', traits: { vip: true }, source: 'store' }),
      line({ type: 'order', external_id: 'O-1', email: 'ann@example.com', placed_at: '2025-03-01T10:00:00Z', channel: 'web', currency: 'EUR', lines: [{ sku: 'SKU-1', quantity: 2 }, { sku: 'SKU-2', quantity: 1, unit_price_minor: 500 }] }),
      line({ type: 'interaction', source_event_id: 'e1', phone: '+442079460958', occurred_at: '2025-02-01T09:00:00Z', channel: 'web', interaction_type: 'product_view', product_sku: 'SKU-1', properties: { q: 1 }, source: 'web' }),
      line({ type: 'interaction', source_event_id: 'e2', email: 'bob@example.com', occurred_at: '2025-03-02T11:00:00Z', channel: 'email', interaction_type: 'email_open', campaign: 'spring' }),
    ].join('\n') + '\n');
    const r = await runCli([mixed()]);
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({ read: 5, imported: 5, duplicates: 0, rejected: 0, customersCreated: 2 });
    const customers = (await sql.query(`select c.id, c.first_name, c.last_name, c.email, c.phone, c.traits, c.first_seen_at,
        (select array_agg(i.kind || ':' || i.namespace || ':' || i.value order by i.kind) from identities i where i.customer_id = c.id) as ids,
        (select count(*)::int from orders o where o.customer_id = c.id) as orders,
        (select count(*)::int from interactions n where n.customer_id = c.id) as interactions
      from customers c order by c.email nulls last`)).rows;
    expect(customers).toHaveLength(2);
    expect(customers[0]).toMatchObject({
      first_name: 'Ann', last_name: 'Lee', email: 'ann@example.com', phone: '+442079460958', traits: { vip: true },
      ids: ['email::ann@example.com', 'external_id:crm:C-1', 'phone::+442079460958'], orders: 1, interactions: 1,
    });
    expect(customers[0].first_seen_at.toISOString()).toBe('2025-02-01T09:00:00.000Z');
    // Provenance as the API records it: each field's source is the row that gave it.
    const prov = (await sql.query(`select field_provenance from customers where email = 'ann@example.com'`)).rows[0].field_provenance;
    expect(prov).toMatchObject({ firstName: { source: 'crm' }, lastName: { source: 'store' }, email: { source: 'crm' }, phone: { source: 'store' }, 'traits.vip': { source: 'store' } });
    expect(Number.isNaN(Date.parse(prov.firstName.at))).toBe(false);
    expect(customers[1]).toMatchObject({ email: null, ids: ['email::bob@example.com'], orders: 0, interactions: 1 });
    const { rows: [order] } = await sql.query(`select subtotal_minor::int, total_minor::int, (select array_agg(quantity || 'x' || unit_price_minor order by position) from order_lines l where l.order_id = o.id) as lines from orders o`);
    expect(order).toEqual({ subtotal_minor: 2900, total_minor: 2900, lines: ['2x1200', '1x500'] });
  }, cliTimeout(1));

  it('re-running the same file changes nothing', async () => {
    const before = await digest();
    const r = await runCli([mixed()]);
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({ read: 5, imported: 0, duplicates: 5, rejected: 0, customersCreated: 0 });
    expect(await digest()).toBe(before);
  }, cliTimeout(1));

  it('puts bad rows in the rejects file with line numbers and reasons, and stores their good neighbours', async () => {
    // An erased customer's identifier may not re-create them.
    const gone = defaultKeyring().identifierDigest({ kind: 'email', namespace: '', value: 'gone@example.com' });
    await sql.query(`insert into suppressed_identifiers (digest, key_id) values ($1, $2)`, [gone.digest, gone.keyId]);
    const file = path.join(dir, 'bad.ndjson');
    fs.writeFileSync(file, [
      line({ type: 'interaction', source_event_id: 'g1', email: 'good1@example.com', occurred_at: '2025-01-01T00:00:00Z', channel: 'web', interaction_type: 'page_view' }),
      'not json',
      line({ type: 'thing' }),
      line({ type: 'interaction', source_event_id: 'b1', email: 'not-an-email', occurred_at: '2025-01-01T00:00:00Z', channel: 'web', interaction_type: 'page_view' }),
      line({ type: 'interaction', source_event_id: 'b2', email: 'x@example.com', occurred_at: '2025-01-01T00:00:00Z', channel: 'fax', interaction_type: 'page_view' }),
      line({ type: 'order', external_id: 'O-9', email: 'good2@example.com', placed_at: '2025-01-01T00:00:00Z', channel: 'web', currency: 'EUR', lines: [{ sku: 'NOPE', quantity: 1 }] }),
      line({ type: 'interaction', source_event_id: 'b3', email: 'gone@example.com', occurred_at: '2025-01-01T00:00:00Z', channel: 'web', interaction_type: 'page_view' }),
      line({ type: 'customer', email: 'ann@example.com', phone: '+1 415 555 2671', customer_namespace: 'x', customer_external_id: 'y' }),
      // bob's email and ann's phone: two customers, joined by kinds MERGE_POLICY merges automatically.
      line({ type: 'customer', email: 'bob@example.com', phone: '+44 20 7946 0958' }),
      // Same event id as the first file with other content.
      line({ type: 'interaction', source_event_id: 'e2', email: 'bob@example.com', occurred_at: '2025-03-02T11:00:00Z', channel: 'email', interaction_type: 'email_click', campaign: 'spring' }),
      line({ type: 'interaction', source_event_id: 'g2', email: 'good2@example.com', occurred_at: '2025-01-02T00:00:00Z', channel: 'web', interaction_type: 'page_view' }),
    ].join('\n') + '\n');
    const r = await runCli([file, '--rejects', path.join(dir, 'bad.rejects.ndjson')]);
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({ read: 11, imported: 4, rejected: 7 });
    const rejects = readRejects(path.join(dir, 'bad.rejects.ndjson')).sort((a, b) => a.line - b.line);
    expect(rejects.map((x) => [x.line, x.code])).toEqual([
      [2, 'INVALID_JSON'], [3, 'UNKNOWN_TYPE'], [4, 'INVALID_VALUE'], [5, 'INVALID_VALUE'], [6, 'UNKNOWN_SKU'],
      [7, 'SUPPRESSED_IDENTIFIER'], [10, 'CONFLICTING_DUPLICATE'],
    ]);
    expect(rejects.every((x) => typeof x.message === 'string' && x.message.length > 5)).toBe(true);
    expect(rejects.find((x) => x.line === 5).field).toBe('channel');
    const { rows } = await sql.query(`select i.value, (select count(*)::int from interactions n where n.customer_id = i.customer_id) as n from identities i where i.kind = 'email' order by 1`);
    // good1 and good2 stored; the rejected order made no customer for good2 (its later good row did); gone@ was not re-created.
    // ann and bob are one person now, with the activity of both.
    expect(rows).toEqual([
      { value: 'ann@example.com', n: 2 }, { value: 'bob@example.com', n: 2 }, { value: 'good1@example.com', n: 1 }, { value: 'good2@example.com', n: 1 },
    ]);
    // Line 8 added two identifiers to ann (nothing else held them); line 9 brought bob's email.
    const { rows: [ann] } = await sql.query(`select count(*)::int as n from identities where customer_id = (select customer_id from identities where value = 'ann@example.com')`);
    expect(ann.n).toBe(6);
    const { rows: merges } = await sql.query(`select reason, actor from customer_merges`);
    expect(merges).toEqual([{ reason: expect.stringContaining('automatic'), actor: 'auto:import' }]);
    expect((await sql.query(`select type from interactions where source_event_id = 'e2'`)).rows).toEqual([{ type: 'email_open' }]);
  }, cliTimeout(1));

  it('imports CSV orders (one row per line, grouped by external id) and rejects a whole order when one of its rows is bad', async () => {
    const file = path.join(dir, 'orders.csv');
    fs.writeFileSync(file, [
      'external_id,email,placed_at,channel,currency,sku,quantity,unit_price_minor',
      'O-10,dan@example.com,2025-04-01T09:00:00Z,store,EUR,SKU-1,1,',
      'O-10,dan@example.com,2025-04-01T09:00:00Z,store,EUR,SKU-2,3,100',
      'O-11,erin@example.com,2025-04-02,web,EUR,SKU-1,0,',
      'O-11,erin@example.com,2025-04-02,web,EUR,SKU-2,1,100',
      'O-12,"fay@example.com",2025-04-03,web,EUR,SKU-1,1',
      'O-13,gus@example.com,2025-04-03,web,EUR,SKU-2,1,',
    ].join('\n') + '\n');
    const r = await runCli([file, '--kind', 'order']);
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({ read: 6, imported: 2, rejected: 4 });
    const rejects = readRejects(`${file}.rejects.ndjson`).sort((a, b) => a.line - b.line);
    expect(rejects.map((x) => [x.line, x.code, x.field])).toEqual([
      [4, 'INVALID_VALUE', 'quantity'], [5, 'ORDER_LINE_REJECTED', 'external_id'], [6, 'INVALID_CSV', null], [7, 'PRICE_REQUIRED', 'lines[0].unit_price_minor'],
    ]);
    const { rows } = await sql.query(`select o.total_minor::int, (select count(*)::int from order_lines l where l.order_id = o.id) as lines from orders o where external_id = 'O-10'`);
    expect(rows).toEqual([{ total_minor: 1500, lines: 2 }]);
    const before = await digest();
    const again = await runCli([file, '--kind', 'order']);
    expect(again.summary).toMatchObject({ imported: 0, duplicates: 2, rejected: 4 });
    expect(await digest()).toBe(before);
  }, cliTimeout(2));

  it('imports CSV customers and interactions, and refuses usage errors with exit code 2', async () => {
    const customers = path.join(dir, 'customers.csv');
    fs.writeFileSync(customers, 'email,first_name,locale,customer_namespace,customer_external_id\nhal@example.com,Hal,fr-fr,shop,H-1\n');
    expect((await runCli([customers, '--kind', 'customer'])).summary).toMatchObject({ imported: 1, rejected: 0 });
    const events = path.join(dir, 'events.csv');
    fs.writeFileSync(events, 'source_event_id,customer_namespace,customer_external_id,occurred_at,channel,interaction_type,product_sku,properties\nh1,shop,H-1,2025-05-01T10:00:00Z,app,cart_add,SKU-2,"{""size"":""M""}"\n');
    expect((await runCli([events, '--kind', 'interaction'])).summary).toMatchObject({ imported: 1, rejected: 0 });
    const { rows } = await sql.query(`select c.first_name, c.locale, n.type, n.properties from customers c join interactions n on n.customer_id = c.id where n.source_event_id = 'h1'`);
    expect(rows).toEqual([{ first_name: 'Hal', locale: 'fr-FR', type: 'cart_add', properties: { size: 'M' } }]);
    expect((await runCli([events])).code).toBe(2);
  }, cliTimeout(3));
});

describe('npm run import at scale', () => {
  // Constant memory over 1,000,000 rows is measured by `npm run bench:import` (minutes of work, and a
  // figure, not a pass/fail test). Here: many chunks, bad rows spread through them, all accounted for.
  // The bench's file shape at a fifth of the size it had here (40,000 rows, windows of 5,000, a bad row every
  // 10,000): 8,000 rows in windows of 1,000, a bad row every 2,000, so still 8 windows, the customers all in
  // the first, a bad row of each kind at the end of every second window, and more than one 1 MiB read of the
  // file (readers.ts), so that a window spans two of the reader's batches.
  it('imports a file of many chunks, with each bad row in the rejects file and every good row stored', async () => {
    const file = path.join(dir, 'chunks.ndjson');
    const rows = 8_000;
    const bad = await generateImportRows(file, rows, 'k', 2_000);
    expect(bad).toEqual([2_000, 4_000, 6_000, 8_000]);
    expect(fs.statSync(file).size).toBeGreaterThan(1 << 20);
    const r = await runCli([file, '--quiet', '--chunk-size', '1000']);
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({ read: rows, imported: rows - bad.length, rejected: bad.length, customersCreated: rows / 100, chunks: 8 });
    const rejects = readRejects(`${file}.rejects.ndjson`);
    expect(rejects.map((x) => x.line).sort((x, y) => x - y)).toEqual(bad);
    expect(new Set(rejects.map((x) => x.code))).toEqual(new Set(['INVALID_JSON', 'INVALID_VALUE']));
    const { rows: [{ n }] } = await sql.query(`select count(*)::int as n from interactions where source_event_id like 'k-%'`);
    expect(n).toBe(rows - rows / 100 - bad.length);
  }, cliTimeout(1));
});

// Last: it adds a customer and interactions the tests above do not expect.
describe('npm run import and event keys held outside the ledger', () => {
  it('answers an event key held by an interaction written outside the ledger (a holdout) through the core, and copies the rest', async () => {
    const { rows: [held] } = await sql.query(`insert into customers (email) values ('held@example.com') returning id`);
    await sql.query(`insert into identities (customer_id, kind, namespace, value) values ($1, 'email', '', 'held@example.com')`, [held.id]);
    // Written as holdouts write (src/campaigns/holdout.ts): the claim trigger takes the keys, no ledger row.
    await sql.query(`insert into interactions (customer_id, occurred_at, channel, type, source, source_event_id) values
      ($1, '2025-04-01T00:00:00Z', 'web', 'page_view', 'holdouts', 'hold-1'), ($1, '2025-04-02T00:00:00Z', 'web', 'page_view', 'holdouts', 'hold-2')`, [held.id]);
    const file = path.join(dir, 'held.ndjson');
    const row = (key: string, at: string, type: string) => line({ type: 'interaction', source: 'holdouts', source_event_id: key, email: 'held@example.com', occurred_at: at, channel: 'web', interaction_type: type });
    // hold-1 as stored, hold-2 with other content, hold-3 new: every record a fast-path candidate (known customer, unique keys).
    fs.writeFileSync(file, [row('hold-1', '2025-04-01T00:00:00Z', 'page_view'), row('hold-2', '2025-04-02T00:00:00Z', 'product_view'), row('hold-3', '2025-04-03T00:00:00Z', 'page_view')].join('\n') + '\n');
    const r = await runCli([file, '--rejects', path.join(dir, 'held.rejects.ndjson')]);
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({ read: 3, imported: 1, duplicates: 1, rejected: 1 });
    expect(readRejects(path.join(dir, 'held.rejects.ndjson')).map((x) => [x.line, x.code])).toEqual([[2, 'CONFLICTING_DUPLICATE']]);
    const { rows } = await sql.query(`select source_event_id, type, (select count(*)::int from interaction_event_keys k where k.source = n.source and k.source_event_id = n.source_event_id and k.interaction_id = n.id) as keyed
      from interactions n where customer_id = $1 order by source_event_id`, [held.id]);
    expect(rows).toEqual([{ source_event_id: 'hold-1', type: 'page_view', keyed: 1 }, { source_event_id: 'hold-2', type: 'page_view', keyed: 1 }, { source_event_id: 'hold-3', type: 'page_view', keyed: 1 }]);
    // The ledger names only interactions that exist: hold-1 answers with the holdout's row, hold-2 was released.
    const { rows: ledger } = await sql.query(`select e.idempotency_key as key, e.result->>'status' as status, exists (select 1 from interactions i where i.id = (e.result->>'interactionId')::uuid and i.source_event_id = e.idempotency_key) as real
      from ingest_events e where e.source = 'holdouts' order by 1`);
    expect(ledger).toEqual([{ key: 'hold-1', status: 'DUPLICATE', real: true }, { key: 'hold-3', status: 'ACCEPTED', real: true }]);
  }, cliTimeout(1));
});
