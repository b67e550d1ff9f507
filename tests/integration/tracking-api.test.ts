import fs from 'node:fs';
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { Analytics } from '@segment/analytics-node';
import { chromium, type Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { toGlobalId } from '../../src/schema/global-id';

/**
 * The Segment-compatible tracking API (README "Tracking API") with real Segment clients: the
 * server library @segment/analytics-node, and analytics.js (the standard snippet) in Chromium.
 */
let app: TestApp;
let base: string;
let writeKey: string;
let readOnlyKey: string;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

async function createKey(scopes: string[], name = 'tracking test'): Promise<string> {
  const res = await app.gql(`mutation($s: [String!]!, $n: String!) { createApiKey(input: { name: $n, scopes: $s }) { secret } }`, { s: scopes, n: name });
  expect(res.errors).toBeUndefined();
  return res.data.createApiKey.secret as string;
}

async function post(path: string, body: unknown, key: string | null = writeKey, contentType = 'application/json') {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (key) headers.authorization = `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
  const res = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const interactionsOf = (externalId: string) =>
  app.sql<{ type: string; channel: string; properties: Record<string, any>; source: string }>( // eslint-disable-line @typescript-eslint/no-explicit-any
    `select i.type, i.channel, i.properties, i.source from interactions i join identities d on d.customer_id = i.customer_id
      where d.kind = 'external_id' and d.namespace = 'segment' and d.value = ? order by i.occurred_at, i.created_at`,
    [externalId],
  );

beforeAll(async () => {
  app = await startTestApp();
  base = new URL(app.url).origin;
  const product = await app.gql(`mutation { upsertProduct(input: { sku: "TRK-1", name: "Tracked lamp", category: "lighting", currency: "EUR", priceMinor: 2500 }) { id } }`);
  expect(product.errors).toBeUndefined();
  writeKey = await createKey(['events:write']);
  readOnlyKey = await createKey(['customers:read']);
});
afterAll(async () => {
  await app?.close();
});

describe('with @segment/analytics-node', () => {
  it('stores track, page and screen calls as interactions, keeping the context; refuses identify to a partner key', async () => {
    const userId = `user-${randomUUID()}`;
    const analytics = new Analytics({ writeKey, host: base, flushInterval: 20, maxEventsInBatch: 20 });
    const failures: unknown[] = [];
    analytics.on('error', (e) => failures.push(e));
    const responses: number[] = [];
    analytics.on('http_request', () => responses.push(1));
    analytics.identify({ userId, traits: { email: `${userId}@example.com`, plan: 'gold' } });
    analytics.track({ userId, event: 'Product Viewed', properties: { sku: 'TRK-1', price: 25 } });
    analytics.track({ userId, event: 'Newsletter Signed Up', properties: { list: 'weekly' } });
    analytics.page({ userId, name: 'Home', properties: { path: '/', url: 'https://shop.example/' } });
    analytics.screen({ userId, name: 'Basket' });
    await analytics.closeAndFlush({ timeout: 20_000 });
    expect(failures).toEqual([]);
    expect(responses.length).toBeGreaterThan(0);

    const stored = await interactionsOf(userId);
    // Calls made within one millisecond share a timestamp: compare by type, not by order.
    const byType = Object.fromEntries(stored.map((s) => [s.type, s]));
    expect(stored.map((s) => s.type).sort()).toEqual(['custom_event', 'page_view', 'product_view', 'screen_view']);
    expect(Object.fromEntries(stored.map((s) => [s.type, s.channel]))).toEqual({ product_view: 'web', custom_event: 'web', page_view: 'web', screen_view: 'app' });
    expect(byType.product_view.properties).toMatchObject({ sku: 'TRK-1', price: 25, event: 'Product Viewed', context: { library: { name: '@segment/analytics-node' } } });
    expect(byType.custom_event.properties).toMatchObject({ event: 'Newsletter Signed Up', list: 'weekly' });
    expect(byType.page_view.properties).toMatchObject({ name: 'Home', path: '/' });
    expect(byType.screen_view.properties).toMatchObject({ name: 'Basket' });
    const product = await app.sql<{ sku: string }>(
      `select p.sku from interactions i join products p on p.id = i.product_id join identities d on d.customer_id = i.customer_id
        where d.value = ? and i.type = 'product_view'`, [userId]);
    expect(product).toEqual([{ sku: 'TRK-1' }]);
    // IDENTIFY writes a profile: partners may not (the policy table), so the e-mail trait was not stored.
    const profile = await app.sql(`select c.email, c.traits from customers c join identities d on d.customer_id = c.id where d.value = ?`, [userId]);
    expect(profile).toEqual([{ email: null, traits: {} }]);
    expect(stored.every((s) => s.source.startsWith('segment:'))).toBe(true);
  });

  it('reports a bad write key as a failed delivery and stores nothing', async () => {
    const userId = `user-${randomUUID()}`;
    const analytics = new Analytics({ writeKey: 'rpk_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', host: base, flushInterval: 20, maxRetries: 0 });
    const failures: unknown[] = [];
    analytics.on('error', (e) => failures.push(e));
    analytics.track({ userId, event: 'Product Viewed', properties: { sku: 'TRK-1' } });
    await analytics.closeAndFlush({ timeout: 20_000 });
    expect(failures.length).toBeGreaterThan(0);
    expect(await interactionsOf(userId)).toEqual([]);
  });
});

describe('over HTTP', () => {
  it('answers a replayed batch from the first result and stores nothing twice', async () => {
    const userId = `user-${randomUUID()}`;
    const batch = {
      batch: [
        { type: 'track', messageId: `m-${randomUUID()}`, userId, event: 'Product Added', properties: { sku: 'TRK-1' }, timestamp: '2026-11-01T10:00:00Z' },
        { type: 'page', messageId: `m-${randomUUID()}`, userId, name: 'Basket', timestamp: '2026-11-01T10:01:00Z' },
      ],
    };
    const first = await post('/v1/batch', batch);
    expect(first.status).toBe(200);
    expect(first.body.results.map((r: { status: string }) => r.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
    const again = await post('/v1/batch', batch);
    expect(again.body.results.map((r: { status: string }) => r.status)).toEqual(['DUPLICATE', 'DUPLICATE']);
    expect((await interactionsOf(userId)).map((s) => s.type)).toEqual(['cart_add', 'page_view']);
    // The same messageId with other content is a reused key, not a replay.
    const reused = await post('/v1/batch', { batch: [{ ...batch.batch[0], properties: { sku: 'TRK-1', quantity: 2 } }] });
    expect(reused.body.results[0]).toMatchObject({ status: 'REJECTED', error: { code: 'CONFLICT' } });
  });

  it('answers a resent message without a timestamp as a replay: it happened when first received', async () => {
    // Segment's HTTP API examples send neither messageId nor timestamp; the time is the receipt's. The
    // resend used to differ from the first in that time alone and was refused as a reused key.
    const userId = `user-${randomUUID()}`;
    const messages = [
      { type: 'track', messageId: `m-${randomUUID()}`, userId, event: 'Product Viewed', properties: { sku: 'TRK-1' } },
      { type: 'track', userId, event: 'Newsletter Signed Up', properties: { list: `weekly-${randomUUID()}` } }, // key derived from content
      { type: 'track', messageId: `m-${randomUUID()}`, userId, event: 'Order Completed', properties: { order_id: `o-${randomUUID()}`, currency: 'EUR', products: [{ sku: 'TRK-1', quantity: 1, price: 25 }] } },
    ];
    const first = await post('/v1/batch', { batch: messages });
    expect(first.body.results.map((r: { status: string }) => r.status)).toEqual(['ACCEPTED', 'ACCEPTED', 'ACCEPTED']);
    const again = await post('/v1/batch', { batch: messages, sentAt: new Date().toISOString() });
    expect(again.body.results.map((r: { status: string }) => r.status)).toEqual(['DUPLICATE', 'DUPLICATE', 'DUPLICATE']);
    const single = await post('/v1/track', messages[0]);
    expect(single.body.results[0].status).toBe('DUPLICATE');
    expect((await interactionsOf(userId)).map((s) => s.type).sort()).toEqual(['custom_event', 'product_view']);
    expect(await app.sql(`select count(*)::int as n from orders o join identities d on d.customer_id = o.customer_id where d.value = ?`, [userId])).toEqual([{ n: 1 }]);
    // Other content under the same messageId is still a reused key.
    const reused = await post('/v1/track', { ...messages[0], properties: { sku: 'TRK-1', colour: 'red' } });
    expect(reused.body.results[0]).toMatchObject({ status: 'REJECTED', error: { code: 'CONFLICT', reason: 'KEY_REUSED' } });
  });

  it('applies a batch’s top-level context to each of its messages, a message’s own keys first', async () => {
    const userId = `user-${randomUUID()}`;
    const res = await post('/v1/batch', {
      context: { campaign: { name: 'spring-sale', source: 'newsletter' }, channel: 'mobile', locale: 'de-DE' },
      batch: [
        { type: 'track', messageId: `m-${randomUUID()}`, userId, event: 'Product Viewed', properties: { sku: 'TRK-1' }, timestamp: '2026-11-05T10:00:00Z' },
        { type: 'page', messageId: `m-${randomUUID()}`, userId, name: 'Home', timestamp: '2026-11-05T10:01:00Z', context: { channel: 'browser', locale: 'fr-FR' } },
      ],
    });
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
    const rows = await app.sql<{ type: string; channel: string; campaign: string; locale: string }>(
      `select i.type, i.channel, i.campaign, i.properties->'context'->>'locale' as locale from interactions i join identities d on d.customer_id = i.customer_id
        where d.value = ? order by i.occurred_at`, [userId]);
    expect(rows).toEqual([
      { type: 'product_view', channel: 'app', campaign: 'spring-sale', locale: 'de-DE' },
      { type: 'page_view', channel: 'web', campaign: 'spring-sale', locale: 'fr-FR' },
    ]);
  });

  it('rejects bad messages one by one, naming the field, and keeps the good ones', async () => {
    const userId = `user-${randomUUID()}`;
    const res = await post('/v1/batch', {
      batch: [
        { type: 'track', messageId: `m-${randomUUID()}`, userId, properties: {} },
        { type: 'group', messageId: `m-${randomUUID()}`, userId, groupId: 'acme' },
        { type: 'track', messageId: `m-${randomUUID()}`, event: 'Product Viewed' },
        { type: 'track', messageId: `m-${randomUUID()}`, userId, event: 'Product Viewed', timestamp: 'yesterday' },
        { type: 'nonsense', messageId: `m-${randomUUID()}`, userId },
        { type: 'track', messageId: `m-${randomUUID()}`, userId, event: 'Products Searched', properties: { query: 'lamp' } },
      ],
    });
    expect(res.status).toBe(200);
    const r = res.body.results as Array<{ status: string; error?: { code: string; field: string } }>;
    expect(r.map((x) => x.status)).toEqual(['REJECTED', 'REJECTED', 'REJECTED', 'REJECTED', 'REJECTED', 'ACCEPTED']);
    expect(r[0].error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'batch[0].event' });
    expect(r[1].error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'batch[1].type' });
    expect(r[2].error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'batch[2].userId' });
    expect(r[3].error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'batch[3].timestamp' });
    expect(r[4].error).toMatchObject({ code: 'BAD_USER_INPUT', field: 'batch[4].type' });
    expect((await interactionsOf(userId)).map((s) => s.type)).toEqual(['search']);
  });

  it('rejects a message whose values the mutation cannot take on its own, keeping the rest of the batch', async () => {
    // Each of these used to fail the coercion of the whole ingestEvents call: 400 for the batch, and
    // Segment's libraries do not retry a 400, so the good messages beside it were lost.
    const userId = `user-${randomUUID()}`;
    const order = (properties: Record<string, unknown>) => ({ type: 'track', messageId: `m-${randomUUID()}`, userId, event: 'Order Completed', timestamp: '2026-11-04T10:00:00Z', properties });
    const res = await post('/v1/batch', {
      batch: [
        { type: 'track', messageId: `m-${randomUUID()}`, userId, event: 'Product Viewed', properties: { sku: 'TRK-1' }, timestamp: '2026-11-04T09:00:00Z' },
        order({ products: [{ sku: 'TRK-1', quantity: 0, price: 25 }] }),
        order({ products: [{ sku: 'TRK-1', quantity: '2', price: 25 }] }),
        order({ products: [{ sku: 'TRK-1', quantity: 1, price: -1 }] }),
        order({ discount: -5, products: [{ sku: 'TRK-1', quantity: 1, price: 25 }] }),
        order({ currency: 'dollars', products: [{ sku: 'TRK-1', quantity: 1, price: 25 }] }),
        { type: 'identify', messageId: `m-${randomUUID()}`, userId, traits: { firstName: 42 } },
        { type: 'identify', messageId: `m-${randomUUID()}`, userId, traits: { lastName: 'bad\ud800' } },
      ],
    });
    expect(res.status).toBe(200);
    const r = res.body.results as Array<{ status: string; error?: { code: string; field: string } }>;
    expect(r.map((x) => x.status)).toEqual(['ACCEPTED', 'REJECTED', 'REJECTED', 'REJECTED', 'REJECTED', 'REJECTED', 'REJECTED', 'REJECTED']);
    expect(r.slice(1).map((x) => [x.error?.code, x.error?.field])).toEqual([
      ['BAD_USER_INPUT', 'batch[1].order.lines[0].quantity'],
      ['BAD_USER_INPUT', 'batch[2].order.lines[0].quantity'],
      ['BAD_USER_INPUT', 'batch[3].order.lines[0].unitPriceMinor'],
      ['BAD_USER_INPUT', 'batch[4].order.discountMinor'],
      ['BAD_USER_INPUT', 'batch[5].order.currency'],
      ['BAD_USER_INPUT', 'batch[6].profile.firstName'],
      ['BAD_USER_INPUT', 'batch[7].lastName'],
    ]);
    expect((await interactionsOf(userId)).map((s) => s.type)).toEqual(['product_view']);
    expect(await app.sql(`select o.id from orders o join identities d on d.customer_id = o.customer_id where d.value = ?`, [userId])).toEqual([]);
    // A single message's endpoint answers the same way: 200, the message rejected, the field named.
    const single = await post('/v1/track', order({ products: [{ sku: 'TRK-1', quantity: 0, price: 25 }] }));
    expect([single.status, single.body.results[0].status, single.body.results[0].error.field]).toEqual([200, 'REJECTED', 'order.lines[0].quantity']);
  });

  it('stores a product view of a sku the catalogue does not hold, without a product, as Segment would', async () => {
    // Segment's e-commerce spec example, verbatim: its sku "G-32" is in no catalogue here. The sender's
    // catalogue may be ahead of Rapport's; the view is still a fact about the visitor.
    const userId = `user-${randomUUID()}`;
    const res = await post('/v1/batch', {
      batch: [
        {
          type: 'track', messageId: `m-${randomUUID()}`, userId, event: 'Product Viewed', timestamp: '2026-11-03T08:00:00Z',
          properties: {
            product_id: '507f1f77bcf86cd799439011', sku: 'G-32', category: 'Games', name: 'Monopoly: 3rd Edition', brand: 'Hasbro', variant: '200 pieces',
            price: 18.99, quantity: 1, coupon: 'MAYDEALS', currency: 'usd', position: 3, value: 18.99, url: 'https://www.example.com/product/path', image_url: 'https://www.example.com/product/path.jpg',
          },
        },
        { type: 'track', messageId: `m-${randomUUID()}`, userId, event: 'Product Viewed', timestamp: '2026-11-03T08:01:00Z', properties: { sku: 'TRK-1' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((x: { status: string }) => x.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
    const stored = await app.sql<{ sku: string | null; props_sku: string; name: string }>(
      `select p.sku, i.properties->>'sku' as props_sku, i.properties->>'name' as name from interactions i left join products p on p.id = i.product_id
        join identities d on d.customer_id = i.customer_id where d.value = ? and i.type = 'product_view' order by i.occurred_at`, [userId]);
    expect(stored).toEqual([
      { sku: null, props_sku: 'G-32', name: 'Monopoly: 3rd Edition' },
      { sku: 'TRK-1', props_sku: 'TRK-1', name: null },
    ]);
    // An order still needs its products: its lines reference the catalogue.
    const order = await post('/v1/track', {
      messageId: `m-${randomUUID()}`, userId, event: 'Order Completed', properties: { order_id: `o-${randomUUID()}`, currency: 'USD', products: [{ sku: 'G-32', price: 18.99, quantity: 1 }] },
    });
    expect(order.body.results[0]).toMatchObject({ status: 'REJECTED', error: { code: 'NOT_FOUND' } });
  });

  it('records Order Completed as an order, prices in the currency’s minor units', async () => {
    const userId = `user-${randomUUID()}`;
    const res = await post('/v1/track', {
      messageId: `m-${randomUUID()}`, userId, event: 'Order Completed', timestamp: '2026-11-02T09:00:00Z',
      properties: { order_id: `web-${randomUUID()}`, currency: 'EUR', products: [{ sku: 'TRK-1', quantity: 2, price: 24.99 }] },
    });
    expect(res.body.results[0]).toMatchObject({ status: 'ACCEPTED' });
    // Named by an identifier, the order's id would tell a key without customers:contact whose it is: withheld.
    expect(res.body.results[0].orderId).toBeNull();
    const lines = await app.sql(
      `select l.quantity, l.unit_price_minor, o.currency from orders o join order_lines l on l.order_id = o.id join identities d on d.customer_id = o.customer_id where d.value = ?`, [userId]);
    expect(lines).toEqual([{ quantity: 2, unit_price_minor: 2499, currency: 'EUR' }]);
  });

  it('refuses requests without a usable write key or without events:write', async () => {
    const msg = { messageId: `m-${randomUUID()}`, userId: 'x', event: 'Product Viewed' };
    expect((await post('/v1/track', msg, null)).status).toBe(401);
    expect((await post('/v1/track', msg, 'not-a-key')).status).toBe(401);
    const noScope = await post('/v1/track', msg, readOnlyKey);
    expect(noScope.status).toBe(403);
    expect(noScope.body).toMatchObject({ success: false, code: 'FORBIDDEN' });
    const empty = await post('/v1/batch', { batch: [] });
    expect(empty.status).toBe(400);
  });

  it('takes analytics.js’ form: text/plain bodies carrying the write key, on the one-letter paths, with CORS', async () => {
    const userId = `user-${randomUUID()}`;
    const res = await post('/v1/t', { writeKey, messageId: `m-${randomUUID()}`, userId, event: 'Product Viewed', type: 'track' }, null, 'text/plain');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.body.results[0].status).toBe('ACCEPTED');
    const preflight = await fetch(`${base}/v1/batch`, { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
  });
});

describe('a first-party source: a key with events:write and profiles:write', () => {
  let firstParty: string;
  let firstPartyId: string;
  let profilesOnly: string;
  beforeAll(async () => {
    firstParty = await createKey(['events:write', 'profiles:write'], 'first-party site');
    profilesOnly = await createKey(['profiles:write'], 'profiles only');
    firstPartyId = (await app.sql<{ id: string }>(`select id from api_keys where name = 'first-party site'`))[0].id;
  });

  /** The profile holding the segment userId: its fields, traits, provenance sources and identities. */
  const profileOf = async (userId: string) => {
    const rows = await app.sql<{ id: string; email: string | null; first_name: string | null; traits: Record<string, unknown>; field_provenance: Record<string, { source: string }> }>(
      `select c.id, c.email, c.first_name, c.traits, c.field_provenance from customers c join identities d on d.customer_id = c.id
        where d.kind = 'external_id' and d.namespace = 'segment' and d.value = ?`, [userId]);
    if (!rows.length) return null;
    const ids = await app.sql<{ kind: string; namespace: string; value: string }>(
      `select kind, namespace, value from identities where customer_id = ? order by kind, value`, [rows[0].id]);
    return { ...rows[0], identities: ids };
  };

  it('identifies with traits and aliases an anonymous id, through @segment/analytics-node', async () => {
    const userId = `user-${randomUUID()}`;
    const anonymousId = `anon-${randomUUID()}`;
    const email = `${userId}@example.com`;
    const analytics = new Analytics({ writeKey: firstParty, host: base, flushInterval: 20, maxEventsInBatch: 20 });
    const failures: unknown[] = [];
    analytics.on('error', (e) => failures.push(e));
    analytics.identify({ userId, traits: { email, firstName: 'Ada', plan: 'gold' } });
    await analytics.closeAndFlush({ timeout: 20_000 });
    // alias after the identify has been stored (a second client: closeAndFlush ends the first).
    const second = new Analytics({ writeKey: firstParty, host: base, flushInterval: 20, maxEventsInBatch: 20 });
    second.on('error', (e) => failures.push(e));
    second.alias({ userId, previousId: anonymousId });
    second.track({ userId, event: 'Product Viewed', properties: { sku: 'TRK-1' } });
    await second.closeAndFlush({ timeout: 20_000 });
    expect(failures).toEqual([]);

    const profile = await profileOf(userId);
    expect(profile).toMatchObject({ email, first_name: 'Ada', traits: { plan: 'gold' } });
    expect(profile!.identities).toEqual([
      { kind: 'device', namespace: 'segment', value: anonymousId },
      { kind: 'email', namespace: '', value: email },
      { kind: 'external_id', namespace: 'segment', value: userId },
    ]);
    // Provenance names the key, as for every tracking write.
    const source = `segment:${firstPartyId}`;
    expect([profile!.field_provenance.email.source, profile!.field_provenance.firstName.source, profile!.field_provenance['traits.plan'].source]).toEqual([source, source, source]);
    expect((await interactionsOf(userId)).map((i) => i.type)).toEqual(['product_view']);
  });

  it('over HTTP: identify and alias are ACCEPTED; a later track by the anonymous id reaches the same profile', async () => {
    const userId = `user-${randomUUID()}`;
    const anonymousId = `anon-${randomUUID()}`;
    const id = await post('/v1/identify', { messageId: `m-${randomUUID()}`, userId, traits: { email: `${userId}@example.com`, first_name: 'Grace', tier: 'b' } }, firstParty);
    expect([id.status, id.body.results[0].status]).toEqual([200, 'ACCEPTED']);
    const alias = await post('/v1/alias', { messageId: `m-${randomUUID()}`, userId, previousId: anonymousId }, firstParty);
    expect([alias.status, alias.body.results[0].status]).toEqual([200, 'ACCEPTED']);
    // The answers name no customer and no row (no customers:contact).
    expect(JSON.stringify([id.body, alias.body])).not.toMatch(/customerId/);
    const page = await post('/v1/page', { messageId: `m-${randomUUID()}`, anonymousId, name: 'Home' }, firstParty);
    expect(page.body.results[0]).toMatchObject({ status: 'ACCEPTED', interactionId: null });
    expect((await interactionsOf(userId)).map((i) => i.type)).toEqual(['page_view']);
    expect(await profileOf(userId)).toMatchObject({ first_name: 'Grace', traits: { tier: 'b' } });
  });

  it("never merges two profiles nor says that an identifier is someone else's: the userId's profile is written, the other identifiers stay where they are", async () => {
    const victim = `user-${randomUUID()}`;
    const victimEmail = `${victim}@example.com`;
    await post('/v1/identify', { messageId: `m-${randomUUID()}`, userId: victim, traits: { email: victimEmail } }, firstParty);
    const probe = async (email: string, tag: string) => {
      const userId = `user-${tag}-${randomUUID()}`;
      await post('/v1/identify', { messageId: `m-${randomUUID()}`, userId }, firstParty);
      const res = await post('/v1/identify', { messageId: `m-${tag}`, userId, traits: { email } }, firstParty);
      return { userId, answer: JSON.stringify(res.body).replaceAll(email, '<email>').replaceAll(`m-${tag}`, 'm-<tag>') };
    };
    const taken = await probe(victimEmail, `taken-${randomUUID()}`);
    const unused = await probe(`unused-${randomUUID()}@example.com`, `unused-${randomUUID()}`);
    expect(taken.answer).toBe(unused.answer);
    expect(JSON.parse(taken.answer).results[0].status).toBe('ACCEPTED');
    // The victim's e-mail stays the victim's; nothing was merged; the unused one was linked.
    expect((await profileOf(victim))!.identities.map((i) => i.value)).toContain(victimEmail);
    expect((await profileOf(taken.userId))!.identities.map((i) => i.kind)).toEqual(['external_id']);
    expect((await profileOf(unused.userId))!.identities.map((i) => i.kind)).toEqual(['email', 'external_id']);
    expect(await app.sql(`select m.id from customer_merges m join identities d on d.customer_id in (m.survivor_id, m.loser_id) where d.value in (?, ?)`, [victim, taken.userId])).toEqual([]);
  });

  it("refuses to re-create an erased person from their userId, e-mail or anonymous id", async () => {
    const userId = `user-${randomUUID()}`;
    const anonymousId = `anon-${randomUUID()}`;
    const email = `${userId}@example.com`;
    await post('/v1/identify', { messageId: `m-${randomUUID()}`, userId, anonymousId, traits: { email } }, firstParty);
    const { id } = (await profileOf(userId))!;
    const erased = await app.gql(`mutation($id: ID!) { eraseCustomer(customerId: $id) { identifiersSuppressed } }`, { id: toGlobalId('Customer', id) });
    expect(erased.errors).toBeUndefined();
    for (const msg of [{ userId, traits: { firstName: 'Back' } }, { userId: `user-${randomUUID()}`, traits: { email } }, { userId: `user-${randomUUID()}`, previousId: anonymousId }]) {
      const path = 'previousId' in msg ? '/v1/alias' : '/v1/identify';
      const res = await post(path, { messageId: `m-${randomUUID()}`, ...msg }, firstParty);
      expect(res.body.results[0]).toMatchObject({ status: 'REJECTED', error: { code: 'CONFLICT', reason: 'SUPPRESSED' } });
    }
    expect(await profileOf(userId)).toBeNull();
  });

  it("never writes an erased person's messages to the profile of another identifier they carry: a resend after the erasure, or the person back on a device", async () => {
    // A shared device: its anonymous id is another visitor's profile (X). The person's identify names them
    // by userId first and carries that anonymous id, which is X's and so is neither linked nor reported.
    const userId = `user-${randomUUID()}`;
    const email = `${userId}@example.com`;
    const shared = `anon-${randomUUID()}`;
    const xPage = await post('/v1/page', { messageId: `m-${randomUUID()}`, anonymousId: shared, name: 'Home' }, firstParty);
    expect(xPage.body.results[0].status).toBe('ACCEPTED');
    await post('/v1/identify', { messageId: `m-${randomUUID()}`, userId, traits: { email } }, firstParty);
    const message = { messageId: `m-${randomUUID()}`, userId, anonymousId: shared, traits: { firstName: 'Patricia', lastName: 'Private', email } };
    expect((await post('/v1/identify', message, firstParty)).body.results[0].status).toBe('ACCEPTED');
    const xOf = async (anonymousId: string) => (await app.sql<{ first_name: string | null; last_name: string | null; email: string | null; n: string }>(
      `select c.first_name, c.last_name, c.email, (select count(*) from interactions i where i.customer_id = c.id) n
         from customers c join identities d on d.customer_id = c.id where d.kind = 'device' and d.value = ?`, [anonymousId]))[0];
    expect(await xOf(shared)).toEqual({ first_name: null, last_name: null, email: null, n: '1' });
    const { id } = (await profileOf(userId))!;
    expect((await app.gql(`mutation($id: ID!) { eraseCustomer(customerId: $id) { identifiersSuppressed } }`, { id: toGlobalId('Customer', id) })).errors).toBeUndefined();

    // Segment resends the message (its ledger row went with the erasure): it names the erased person, as
    // before; writing it to X would put the erased person's name and e-mail on someone else's profile.
    const resent = await post('/v1/identify', message, firstParty);
    expect(resent.body.results[0]).toMatchObject({ status: 'REJECTED', error: { code: 'CONFLICT', reason: 'SUPPRESSED' } });
    expect(await xOf(shared)).toEqual({ first_name: null, last_name: null, email: null, n: '1' });

    // The person back on a new device: an anonymous visit makes a profile (Y); logging in names them by userId.
    const device = `anon-${randomUUID()}`;
    await post('/v1/page', { messageId: `m-${randomUUID()}`, anonymousId: device, name: 'Home' }, firstParty);
    const login = await post('/v1/identify', { messageId: `m-${randomUUID()}`, userId, anonymousId: device, traits: { firstName: 'Back', email } }, firstParty);
    expect(login.body.results[0]).toMatchObject({ status: 'REJECTED', error: { code: 'CONFLICT', reason: 'SUPPRESSED' } });
    const track = await post('/v1/track', { messageId: `m-${randomUUID()}`, userId, anonymousId: device, event: 'Viewed Account' }, firstParty);
    expect(track.body.results[0]).toMatchObject({ status: 'REJECTED', error: { code: 'CONFLICT', reason: 'SUPPRESSED' } });
    expect(await xOf(device)).toEqual({ first_name: null, last_name: null, email: null, n: '1' });
    expect(await app.sql(`select 1 from identities where value in (?, ?)`, [userId, email])).toEqual([]);

    // Named by an identifier someone holds first, the write is that profile's: the erased person's e-mail
    // is then neither linked nor reported (README "Existence oracles"), as another profile's would be.
    const other = `user-${randomUUID()}`;
    await post('/v1/identify', { messageId: `m-${randomUUID()}`, userId: other }, firstParty);
    const typed = await post('/v1/identify', { messageId: `m-${randomUUID()}`, userId: other, traits: { email } }, firstParty);
    expect(typed.body.results[0].status).toBe('ACCEPTED');
    expect((await profileOf(other))!.identities.map((i) => i.kind)).toEqual(['external_id']);
  });

  it('an events:write-only key is still refused identify and alias, and the answer reveals nothing', async () => {
    const knownEmail = `${randomUUID()}@example.com`;
    await post('/v1/identify', { messageId: `m-${randomUUID()}`, userId: `user-${randomUUID()}`, traits: { email: knownEmail } }, firstParty);
    const answer = async (email: string) => {
      const userId = `user-${randomUUID()}`;
      const res = await post('/v1/identify', { messageId: 'm-fixed', userId, traits: { email, firstName: 'Eve' } }, writeKey);
      const alias = await post('/v1/alias', { messageId: 'm-fixed-alias', userId, previousId: `anon-${randomUUID()}` }, writeKey);
      expect(await profileOf(userId)).toBeNull();
      return JSON.stringify([res.status, res.body, alias.status, alias.body]).replaceAll(email, '<email>');
    };
    const known = await answer(knownEmail);
    expect(known).toBe(await answer(`nobody-${randomUUID()}@example.com`));
    const [status, body, aliasStatus, aliasBody] = JSON.parse(known);
    expect([status, body.results[0].status, body.results[0].error.code]).toEqual([200, 'REJECTED', 'FORBIDDEN']);
    expect([aliasStatus, aliasBody.results[0].status, aliasBody.results[0].error.code]).toEqual([200, 'REJECTED', 'FORBIDDEN']);
  });

  it('profiles:write alone reads nothing and sends nothing: customers and customer(id) are FORBIDDEN, the tracking API 403', async () => {
    const gql = async (query: string, variables: Record<string, unknown> = {}) => {
      const res = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': profilesOnly }, body: JSON.stringify({ query, variables }) });
      return (await res.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
    };
    const someone = (await app.sql<{ id: string }>(`select id from customers where status = 'active' limit 1`))[0].id;
    const list = await gql(`{ customers(first: 5) { edges { node { id } } } }`);
    expect(list.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const one = await gql(`query($id: ID!) { customer(id: $id) { id email } }`, { id: toGlobalId('Customer', someone) });
    expect(one.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify([list, one])).not.toMatch(/@example\.com/);
    const upsert = await gql(`mutation { upsertCustomer(input: { email: "x-${randomUUID()}@example.com" }) { created } }`);
    expect(upsert.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const track = await post('/v1/identify', { messageId: `m-${randomUUID()}`, userId: `user-${randomUUID()}`, traits: { email: 'p@example.com' } }, profilesOnly);
    expect([track.status, track.body.code]).toEqual([403, 'FORBIDDEN']);
  });
});

describe('with analytics.js in Chromium', () => {
  let browser: Browser;
  let page: http.Server;
  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    if (page) await new Promise((r) => page.close(r));
  });

  it('tracks a page view and a product view from the standard snippet, served by Rapport itself', async () => {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium. This test does not skip.`);
    const userId = `browser-${randomUUID()}`;
    // The shop's page, on an origin of its own: analytics.js loads from Rapport and posts to it.
    const html = `<!doctype html><html><head><title>shop</title><script>
      !function(){var i="analytics",analytics=window[i]=window[i]||[];if(!analytics.initialize)if(analytics.invoked)window.console&&console.error&&console.error("Segment snippet included twice.");else{analytics.invoked=!0;analytics.methods=["trackSubmit","trackClick","trackLink","trackForm","pageview","identify","reset","group","track","ready","alias","debug","page","screen","once","off","on","addSourceMiddleware","addIntegrationMiddleware","setAnonymousId","addDestinationMiddleware","register"];analytics.factory=function(e){return function(){if(window[i].initialized)return window[i][e].apply(window[i],arguments);var n=Array.prototype.slice.call(arguments);if(["track","screen","alias","group","page","identify"].indexOf(e)>-1){var c=document.querySelector("link[rel='canonical']");n.push({__t:"bpc",c:c&&c.getAttribute("href")||void 0,p:location.pathname,u:location.href,s:location.search,t:document.title,r:document.referrer})}n.unshift(e);analytics.push(n);return analytics}};for(var n=0;n<analytics.methods.length;n++){var key=analytics.methods[n];analytics[key]=analytics.factory(key)}analytics.load=function(key,n){var t=document.createElement("script");t.type="text/javascript";t.async=!0;t.setAttribute("data-global-segment-analytics-key",i);t.src=analytics._cdn+"/analytics.js/v1/"+key+"/analytics.min.js";var r=document.getElementsByTagName("script")[0];r.parentNode.insertBefore(t,r);analytics._loadOptions=n};analytics._writeKey=${JSON.stringify(writeKey)};analytics._cdn=${JSON.stringify(base)};analytics.SNIPPET_VERSION="5.2.0";
      analytics.load(${JSON.stringify(writeKey)});
      analytics.identify(${JSON.stringify(userId)});
      analytics.page("Lamps");
      analytics.track("Product Viewed", { sku: "TRK-1" }, {}, function(){ window.__tracked = true; });
      }}();
    </script></head><body>shop</body></html>`;
    page = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
    const shop = `http://127.0.0.1:${(page.address() as { port: number }).port}/`;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    const seen: string[] = [];
    tab.on('console', (m) => seen.push(`console.${m.type()}: ${m.text()}`));
    tab.on('requestfinished', async (r) => seen.push(`${r.method()} ${r.url()} → ${(await r.response())?.status()}`));
    tab.on('requestfailed', (r) => seen.push(`FAILED ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
    await tab.goto(shop);
    try {
      await tab.waitForFunction(() => (window as unknown as { __tracked?: boolean }).__tracked === true, undefined, { timeout: 30_000 });
    } catch (err) {
      throw new Error(`analytics.js did not track: ${(err as Error).message}\nwhat the page did:\n${seen.join('\n')}`);
    }
    // Delivery happens after the callback in some versions: wait for the rows, not for time.
    const deadline = Date.now() + 30_000;
    let stored = await interactionsOf(userId);
    while (stored.length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      stored = await interactionsOf(userId);
    }
    expect(errors).toEqual([]);
    expect(stored.map((s) => s.type).sort()).toEqual(['page_view', 'product_view']);
    const pageView = stored.find((s) => s.type === 'page_view')!;
    expect(pageView.properties).toMatchObject({ name: 'Lamps', url: shop, context: { library: { name: 'analytics.js' } } });
    // A partner key may not link identifiers: the identified visitor is named by userId alone, the
    // browser's anonymousId stays with the event.
    expect(pageView.properties.anonymousId).toEqual(expect.any(String));
    const devices = await app.sql(`select d.value from identities d join identities u on u.customer_id = d.customer_id where u.value = ? and d.kind = 'device'`, [userId]);
    expect(devices).toEqual([]);
  });
});
