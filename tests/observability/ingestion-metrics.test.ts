import { Client } from 'pg';
import { parseMetrics, startObservedApp, valueOf, type ObservedApp } from './helpers';

/**
 * The ingestion core's Prometheus counters (README "Observability", "One ingestion pipeline"), read from
 * GET /metrics of the real server after ingesting through two paths: ingestEvents and the single
 * mutations (a batch of one). A retry is provoked for real: a concurrent transaction holds the
 * identity a batch is about to create, and commits once the batch waits on it.
 */
let app: ObservedApp;

beforeAll(async () => {
  app = await startObservedApp();
  const c = new Client({ connectionString: app.config.databaseUrl });
  await c.connect();
  await c.query(`insert into products (sku, name, category, price_minor, currency) values ('MET-1', 'Metered', 'm', 500, 'EUR')`);
  await c.end();
});
afterAll(async () => {
  await app?.close();
});

const INGEST = `mutation($events: [IngestEventInput!]!) { ingestEvents(events: $events) { results { status error { code } } } }`;
const view = (key: string, email: string, type = 'PAGE_VIEW') => ({
  kind: 'INTERACTION', idempotencyKey: key, source: 'web', identifiers: [{ kind: 'EMAIL', value: email }],
  interaction: { occurredAt: '2026-01-02T10:00:00Z', channel: 'WEB', type },
});

async function scrape() {
  const res = await fetch(`${app.base}/metrics`);
  expect(res.status).toBe(200);
  return parseMetrics(await res.text());
}

const events = (samples: ReturnType<typeof parseMetrics>, path: string, status: string) => valueOf(samples, 'ingest_events_total', { path, status });

describe('ingestion metrics', () => {
  it('count events by path and status: accepted, duplicate, conflict, rejected', async () => {
    const before = await scrape();
    const batch = await app.post(INGEST, {
      variables: {
        events: [
          view('m-1', 'met1@example.org'),
          view('m-2', 'met2@example.org'),
          view('m-1', 'met1@example.org'), // replay within the batch
          view('m-2', 'met2@example.org', 'CART_ADD'), // same key, other content
          view('m-3', 'met3@example.org'),
          { ...view('m-4', 'met4@example.org'), interaction: { occurredAt: '2999-01-01T00:00:00Z', channel: 'WEB', type: 'PAGE_VIEW' } }, // in the future
        ],
      },
    });
    expect(batch.body.errors).toBeUndefined();
    expect(batch.body.data.ingestEvents.results.map((r: { status: string; error: { code: string } | null }) => r.error?.code ?? r.status))
      .toEqual(['ACCEPTED', 'ACCEPTED', 'DUPLICATE', 'CONFLICT', 'ACCEPTED', 'BAD_USER_INPUT']);

    // The single mutations are the path "mutation": a customer, then an order twice (a replay) and once with other content.
    const who = await app.post(`mutation { upsertCustomer(input: { email: "met1@example.org", idempotencyKey: "u-1" }) { customer { id } created } }`);
    expect(who.body.errors).toBeUndefined();
    const customerId = who.body.data.upsertCustomer.customer.id;
    const order = (quantity: number) => app.post(`mutation($i: RecordOrderInput!) { recordOrder(input: $i) { created } }`, {
      variables: { i: { customerId, externalId: 'MET-ORDER-1', source: 'shop', placedAt: '2026-01-03T10:00:00Z', channel: 'WEB', currency: 'EUR', lines: [{ sku: 'MET-1', quantity }] } },
    });
    expect((await order(1)).body.data.recordOrder.created).toBe(true);
    expect((await order(1)).body.data.recordOrder.created).toBe(false);
    expect((await order(2)).body.errors[0].extensions.code).toBe('CONFLICT');

    const after = await scrape();
    const delta = (path: string, status: string) => events(after, path, status) - events(before, path, status);
    expect({
      ingestEvents: { accepted: delta('ingestEvents', 'accepted'), duplicate: delta('ingestEvents', 'duplicate'), conflict: delta('ingestEvents', 'conflict'), rejected: delta('ingestEvents', 'rejected') },
      mutation: { accepted: delta('mutation', 'accepted'), duplicate: delta('mutation', 'duplicate'), conflict: delta('mutation', 'conflict'), rejected: delta('mutation', 'rejected') },
    }).toEqual({
      ingestEvents: { accepted: 3, duplicate: 1, conflict: 1, rejected: 1 },
      mutation: { accepted: 2, duplicate: 1, conflict: 1, rejected: 0 },
    });
  });

  it('count the tracking API as its own path', async () => {
    const key = await app.post(`mutation { createApiKey(input: { name: "metrics tracking", scopes: ["events:write"] }) { secret } }`);
    expect(key.body.errors).toBeUndefined();
    const track = (body: unknown) => fetch(`${app.base}/v1/batch`, {
      method: 'POST', body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${key.body.data.createApiKey.secret}:`).toString('base64')}` },
    }).then(async (res) => ({ status: res.status, body: await res.json() }));
    const batch = {
      batch: [
        { type: 'track', messageId: 'met-t-1', userId: 'met-user', event: 'Product Viewed', properties: { sku: 'MET-1' }, timestamp: '2026-01-02T10:00:00Z' },
        { type: 'page', messageId: 'met-t-2', userId: 'met-user', name: 'Home', timestamp: '2026-01-02T10:01:00Z' },
      ],
    };
    const before = await scrape();
    const first = await track(batch);
    expect([first.status, first.body.results.map((r: { status: string }) => r.status)]).toEqual([200, ['ACCEPTED', 'ACCEPTED']]);
    const again = await track(batch);
    expect(again.body.results.map((r: { status: string }) => r.status)).toEqual(['DUPLICATE', 'DUPLICATE']);
    const after = await scrape();
    const delta = (status: string) => events(after, 'tracking', status) - events(before, 'tracking', status);
    expect({ accepted: delta('accepted'), duplicate: delta('duplicate') }).toEqual({ accepted: 2, duplicate: 2 });
    expect(events(after, 'ingestEvents', 'accepted') - events(before, 'ingestEvents', 'accepted')).toBe(0);
  });

  it('count a batch started over because a concurrent writer created the same identity', async () => {
    const before = valueOf(await scrape(), 'ingest_retries_total', { path: 'ingestEvents' });
    const c = new Client({ connectionString: app.config.databaseUrl });
    await c.connect();
    try {
      // A concurrent writer creates the person the batch is about to create, and holds its transaction open.
      await c.query('begin');
      await c.query(`with c as (insert into customers default values returning id)
                     insert into identities (customer_id, kind, namespace, value) select id, 'email', '', 'racer@example.org' from c`);
      const pending = app.post(INGEST, { variables: { events: [view('race-1', 'racer@example.org')] } });
      // Wait until the batch's insert waits on that identity's unique index entry, then commit under it.
      for (;;) {
        const { rows } = await c.query(`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'transactionid'`);
        if (rows[0].n > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await c.query('commit');
      const res = await pending;
      expect(res.body.data.ingestEvents.results).toEqual([{ status: 'ACCEPTED', error: null }]);
      // The second attempt found the committed person instead of creating a second one.
      const { rows } = await c.query(`select count(distinct i.customer_id)::int as n from identities i join interactions n on n.customer_id = i.customer_id where i.value = 'racer@example.org'`);
      expect(rows[0].n).toBe(1);
    } finally {
      await c.end();
    }
    expect(valueOf(await scrape(), 'ingest_retries_total', { path: 'ingestEvents' }) - before).toBe(1);
  });
});
