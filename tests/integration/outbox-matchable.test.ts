import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase } from '../helpers/test-server';
import { InteractionType } from '../../src/entities/enums';
import { CART_TYPES } from '../../src/triggers/rules';

/**
 * Outbox events no trigger condition can match are written already marked for the trigger matcher
 * (Migration20261206050500). The rule, `rapport_outbox_matchable`, must agree with what the matcher
 * matches (src/triggers/engine.ts): an event it wrongly calls unmatchable would never reach a trigger.
 */
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let c: Client;

beforeAll(async () => {
  db = await createTestDatabase();
  c = new Client({ connectionString: db.url });
  await c.connect();
});

afterAll(async () => {
  await c.end();
  await db.drop();
});

const matchable = async (type: string, data: Record<string, unknown>): Promise<boolean> =>
  (await c.query<{ m: boolean }>('select rapport_outbox_matchable($1, $2::jsonb) as m', [type, JSON.stringify(data)])).rows[0].m;

it('calls matchable exactly the interactions of a cart type', async () => {
  for (const t of Object.values(InteractionType)) {
    expect([t, await matchable('interaction.recorded', { channel: 'web', type: t })]).toEqual([t, CART_TYPES.includes(t)]);
  }
});

it('calls matchable every event type the trigger matcher compares', async () => {
  const engine = fs.readFileSync(path.join(__dirname, '../../src/triggers/engine.ts'), 'utf8');
  const types = [...new Set([...engine.matchAll(/ev\.type = '([a-z_.]+)'/g)].map((m) => m[1]))].sort();
  expect(types).toEqual(['feedback.recorded', 'interaction.recorded', 'lifecycle.changed', 'segment.entered']);
  for (const type of types) expect([type, await matchable(type, { type: CART_TYPES[0], kind: 'complaint', to: 'at_risk' })]).toEqual([type, true]);
  for (const type of ['order.recorded', 'customer.created', 'offer.responded', 'consent.changed']) expect([type, await matchable(type, {})]).toEqual([type, false]);
});

it('writes the ingestion path events marked for the matcher unless it can match them, and for the dispatcher unless an endpoint subscribes to their type', async () => {
  // Migration20261206164500: a type no endpoint subscribes to is written dispatched; the others wait for the dispatcher.
  await c.query(`insert into webhook_endpoints (url, events, secret, created_by) values ('https://hooks.example.com/a', '{interaction.recorded}', 'whsec_test', 'test')`);
  const { rows: [{ id: customerId }] } = await c.query<{ id: string }>(`insert into customers (status) values ('active') returning id`);
  await c.query(`insert into orders (customer_id, placed_at, channel, currency, subtotal_minor, total_minor) values ($1, now(), 'web', 'EUR', 100, 100)`, [customerId]);
  await c.query(
    `insert into interactions (customer_id, occurred_at, channel, type, properties)
     values ($1, now(), 'web', 'cart_add', '{}'), ($1, now(), 'web', 'page_view', '{}'), ($1, now(), 'web', 'offer_shown', '{"offerId": "x"}')`,
    [customerId],
  );
  const { rows } = await c.query<{ type: string; itype: string | null; matched: boolean; dispatched: boolean }>(
    `select type, data ->> 'type' as itype, triggers_matched_at is not null as matched, dispatched_at is not null as dispatched
     from outbox_events where customer_id = $1 order by type, data ->> 'type'`,
    [customerId],
  );
  expect(rows).toEqual([
    { type: 'customer.created', itype: null, matched: true, dispatched: true },
    { type: 'interaction.recorded', itype: 'cart_add', matched: false, dispatched: false },
    { type: 'interaction.recorded', itype: 'offer_shown', matched: true, dispatched: false },
    { type: 'interaction.recorded', itype: 'page_view', matched: true, dispatched: false },
    { type: 'offer.responded', itype: null, matched: true, dispatched: true },
    { type: 'order.recorded', itype: null, matched: true, dispatched: true },
  ]);
  await c.query(`delete from webhook_endpoints`);
});
